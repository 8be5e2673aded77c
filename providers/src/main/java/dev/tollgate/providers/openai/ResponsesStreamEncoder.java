package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.CarriedReasoning;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Responses stream. Codex finishes a turn only on {@code response.output_item.done} with
 * the whole item and {@code response.completed} with usage, so each item's text is kept until its
 * done event (deltas still go out as they come).
 */
final class ResponsesStreamEncoder implements WireCodec.StreamEncoder {

    /** One output item being written. */
    private static final class Item {
        final int output;
        final String id;
        final Part kind;
        final StringBuilder text = new StringBuilder();
        String signature;
        String encrypted;

        Item(int output, String id, Part kind) {
            this.output = output;
            this.id = id;
            this.kind = kind;
        }
    }

    private final ChatRequest client;
    private final Map<Integer, Item> items = new HashMap<>();
    private final ArrayNode done = Json.object().arrayNode();
    private String responseId = "resp_tollgate";
    private final long createdAt = System.currentTimeMillis() / 1000;
    private int sequence;
    private int nextOutput;
    private boolean started;
    private boolean finished;

    ResponsesStreamEncoder(ChatRequest client) {
        this.client = client;
    }

    @Override
    public List<SseEvent> encode(StreamEvent event) {
        List<SseEvent> out = new ArrayList<>(3);
        switch (event) {
            case StreamEvent.Started s -> start(s.id(), out);
            case StreamEvent.BlockStarted b -> {
                start("", out);
                if (b.block() instanceof Part.ToolCall c && c.signature() != null) {
                    carry(CarriedReasoning.seal(c), out);
                }
                int output = nextOutput++;
                Item item = new Item(output, itemId(b.block(), output), b.block());
                items.put(b.index(), item);
                ObjectNode added = event("response.output_item.added").put("output_index", item.output);
                added.set("item", item(item, false));
                out.add(sse(added));
                if (b.block() instanceof Part.Text) {
                    ObjectNode part = event("response.content_part.added").put("item_id", item.id).put("output_index", item.output).put("content_index", 0);
                    part.set("part", textPart(""));
                    out.add(sse(part));
                } else if (b.block() instanceof Part.Thinking) {
                    ObjectNode part = event("response.reasoning_summary_part.added").put("item_id", item.id).put("output_index", item.output).put("summary_index", 0);
                    part.set("part", Json.object().put("type", "summary_text").put("text", ""));
                    out.add(sse(part));
                }
            }
            case StreamEvent.TextDelta d -> delta(d.index(), d.text(), "response.output_text.delta", out);
            case StreamEvent.ToolArgumentsDelta d -> {
                Item item = items.get(d.index());
                // A free-form call's input is unwrapped from {"input": ...} once it is whole.
                if (item != null && isCustom(item)) {
                    item.text.append(d.json());
                } else {
                    delta(d.index(), d.json(), "response.function_call_arguments.delta", out);
                }
            }
            case StreamEvent.ThinkingDelta d -> delta(d.index(), d.text(), "response.reasoning_summary_text.delta", out);
            case StreamEvent.ThinkingSealed s -> {
                Item item = items.get(s.index());
                if (item != null) {
                    item.signature = s.signature();
                    item.encrypted = s.encrypted();
                }
            }
            case StreamEvent.BlockStopped b -> {
                Item item = items.remove(b.index());
                if (item != null) {
                    stop(item, out);
                }
            }
            case StreamEvent.Finished f -> {
                start("", out);
                for (Item open : List.copyOf(items.values())) {
                    stop(open, out);
                }
                items.clear();
                boolean incomplete = f.reason() == StopReason.MAX_TOKENS || f.reason() == StopReason.REFUSAL;
                String type = incomplete ? "response.incomplete" : "response.completed";
                ObjectNode e = event(type);
                ObjectNode r = response(incomplete ? "incomplete" : "completed");
                if (incomplete) {
                    r.putObject("incomplete_details").put("reason", f.reason() == StopReason.REFUSAL ? "content_filter" : "max_output_tokens");
                }
                r.set("output", done);
                r.set("usage", usage(f.usage()));
                e.set("response", r);
                out.add(sse(e));
                finished = true;
            }
            case StreamEvent.Failed f -> out.addAll(fail(f.message()));
        }
        return out;
    }

    /**
     * A reasoning item of its own holding another provider's opaque reasoning (Gemini's signature
     * of the call that follows), which Codex sends back with the history.
     */
    private void carry(String carrier, List<SseEvent> out) {
        int output = nextOutput++;
        ObjectNode item = Json.object().put("id", itemId(new Part.Thinking("", null, null), output)).put("type", "reasoning");
        item.putArray("summary");
        ObjectNode added = event("response.output_item.added").put("output_index", output);
        added.set("item", item.deepCopy());
        out.add(sse(added));
        item.put("encrypted_content", carrier);
        done.add(item);
        ObjectNode e = event("response.output_item.done").put("output_index", output);
        e.set("item", item);
        out.add(sse(e));
    }

    private void start(String id, List<SseEvent> out) {
        if (started) {
            return;
        }
        started = true;
        if (id != null && !id.isEmpty()) {
            responseId = id.startsWith("resp_") ? id : "resp_" + id;
        }
        ObjectNode e = event("response.created");
        ObjectNode r = response("in_progress");
        r.putArray("output");
        e.set("response", r);
        out.add(sse(e));
    }

    private void delta(int index, String text, String type, List<SseEvent> out) {
        Item item = items.get(index);
        if (item == null) {
            return;
        }
        item.text.append(text);
        ObjectNode e = event(type).put("item_id", item.id).put("output_index", item.output);
        if (item.kind instanceof Part.Text) {
            e.put("content_index", 0);
        } else if (item.kind instanceof Part.Thinking) {
            e.put("summary_index", 0);
        }
        e.put("delta", text);
        out.add(sse(e));
    }

    private void stop(Item item, List<SseEvent> out) {
        String text = item.text.toString();
        switch (item.kind) {
            case Part.Text t -> {
                out.add(sse(event("response.output_text.done").put("item_id", item.id).put("output_index", item.output)
                        .put("content_index", 0).put("text", text)));
                ObjectNode part = event("response.content_part.done").put("item_id", item.id).put("output_index", item.output).put("content_index", 0);
                part.set("part", textPart(text));
                out.add(sse(part));
            }
            case Part.ToolCall c when isCustom(item) -> {
                String input = customInput(text);
                out.add(sse(event("response.custom_tool_call_input.delta").put("item_id", item.id).put("output_index", item.output).put("delta", input)));
                out.add(sse(event("response.custom_tool_call_input.done").put("item_id", item.id).put("output_index", item.output).put("input", input)));
            }
            case Part.ToolCall c -> out.add(sse(event("response.function_call_arguments.done").put("item_id", item.id)
                    .put("output_index", item.output).put("arguments", text)));
            case Part.Thinking t -> out.add(sse(event("response.reasoning_summary_text.done").put("item_id", item.id)
                    .put("output_index", item.output).put("summary_index", 0).put("text", text)));
            default -> { }
        }
        ObjectNode full = item(item, true);
        done.add(full);
        ObjectNode e = event("response.output_item.done").put("output_index", item.output);
        e.set("item", full);
        out.add(sse(e));
    }

    private boolean isCustom(Item item) {
        if (item.kind instanceof Part.ToolCall c) {
            Tool tool = client.tool(c.name());
            return tool != null && tool.custom();
        }
        return false;
    }

    private static String customInput(String wrapped) {
        JsonNode args = Json.parseOrString(wrapped);
        return args.isObject() && args.has("input") ? args.path("input").asText() : args.isTextual() ? args.asText() : args.toString();
    }

    /** The item as output_item.added (empty) or output_item.done (whole) carries it. */
    private ObjectNode item(Item item, boolean whole) {
        String text = whole ? item.text.toString() : "";
        ObjectNode node = Json.object();
        switch (item.kind) {
            case Part.Text t -> {
                node.put("id", item.id).put("type", "message").put("status", whole ? "completed" : "in_progress").put("role", "assistant");
                ArrayNode content = node.putArray("content");
                if (whole) {
                    content.add(textPart(text));
                }
            }
            case Part.ToolCall c -> {
                Tool tool = client.tool(c.name());
                boolean custom = tool != null && tool.custom();
                node.put("id", item.id).put("type", custom ? "custom_tool_call" : "function_call").put("status", whole ? "completed" : "in_progress")
                        .put("call_id", c.id()).put("name", c.name());
                if (tool != null && tool.namespace() != null) {
                    node.put("namespace", tool.namespace());
                }
                if (custom) {
                    node.put("input", whole ? customInput(text) : "");
                } else {
                    node.put("arguments", text);
                }
            }
            case Part.Thinking t -> {
                node.put("id", item.id).put("type", "reasoning");
                ArrayNode summary = node.putArray("summary");
                if (whole && !text.isEmpty()) {
                    summary.addObject().put("type", "summary_text").put("text", text);
                }
                if (whole && (item.signature != null || item.encrypted != null)) {
                    node.put("encrypted_content", item.encrypted != null ? item.encrypted
                            : CarriedReasoning.seal(new Part.Thinking(text, item.signature, null)));
                }
            }
            case Part.RedactedThinking r -> {
                // Claude's redacted thinking has nothing to show; it rides along for the next turn.
                node.put("id", item.id).put("type", "reasoning").putArray("summary");
                if (whole) {
                    node.put("encrypted_content", CarriedReasoning.seal(r));
                }
            }
            default -> node.put("id", item.id).put("type", "message").put("status", "completed").put("role", "assistant").putArray("content");
        }
        return node;
    }

    private String itemId(Part block, int n) {
        String prefix = switch (block) {
            case Part.ToolCall c -> "fc_";
            case Part.Thinking t -> "rs_";
            case Part.RedactedThinking r -> "rs_";
            default -> "msg_";
        };
        return prefix + responseId.substring(responseId.indexOf('_') + 1) + "_" + n;
    }

    private ObjectNode response(String status) {
        ObjectNode r = Json.object();
        r.put("id", responseId).put("object", "response").put("created_at", createdAt).put("status", status).put("model", client.model());
        return r;
    }

    private static ObjectNode textPart(String text) {
        ObjectNode p = Json.object().put("type", "output_text").put("text", text);
        p.putArray("annotations");
        return p;
    }

    static ObjectNode usage(Usage u) {
        ObjectNode usage = Json.object();
        usage.put("input_tokens", u.inputTokens());
        usage.putObject("input_tokens_details").put("cached_tokens", u.cachedInputTokens());
        usage.put("output_tokens", u.outputTokens());
        usage.putObject("output_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        usage.put("total_tokens", u.totalTokens());
        return usage;
    }

    @Override
    public List<SseEvent> fail(String message) {
        if (finished) {
            return List.of();
        }
        finished = true;
        ObjectNode e = event("response.failed");
        ObjectNode r = response("failed");
        r.putObject("error").put("code", "server_error").put("message", message);
        e.set("response", r);
        return List.of(sse(e));
    }

    private ObjectNode event(String type) {
        return Json.object().put("type", type).put("sequence_number", sequence++);
    }

    private static SseEvent sse(ObjectNode e) {
        return SseEvent.of(e.path("type").asText(), e.toString());
    }
}
