package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Message;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.Reasoning;
import dev.tollgate.providers.ir.Role;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.List;

/** OpenAI chat completions ({@code POST /v1/chat/completions}), the format most compatible servers speak. */
public final class ChatCodec implements WireCodec {

    public static final ChatCodec INSTANCE = new ChatCodec();

    private ChatCodec() {
    }

    // ---- requests -------------------------------------------------------------------------------

    @Override
    public ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException {
        List<Message> messages = new ArrayList<>();
        JsonNode msgs = body.node("messages");
        if (msgs == null || !msgs.isArray()) {
            throw new InvalidJsonException("'messages' is required: a list of messages", "messages");
        }
        for (JsonNode m : msgs) {
            switch (m.path("role").asText()) {
                case "system", "developer" -> messages.add(new Message(Role.SYSTEM, content(m.path("content"))));
                case "assistant" -> {
                    List<Part> parts = new ArrayList<>();
                    if (m.hasNonNull("reasoning_content")) {
                        parts.add(new Part.Thinking(m.path("reasoning_content").asText(), null, null));
                    }
                    parts.addAll(content(m.path("content")));
                    for (JsonNode c : m.path("tool_calls")) {
                        parts.add(new Part.ToolCall(c.path("id").asText(), c.path("function").path("name").asText(),
                                c.path("function").path("arguments").asText()));
                    }
                    messages.add(new Message(Role.ASSISTANT, parts));
                }
                case "tool" -> messages.add(new Message(Role.USER, List.of(
                        new Part.ToolResult(m.path("tool_call_id").asText(), content(m.path("content")), false))));
                default -> messages.add(new Message(Role.USER, content(m.path("content"))));
            }
        }
        List<Tool> tools = new ArrayList<>();
        JsonNode toolsNode = body.node("tools");
        if (toolsNode != null) {
            for (JsonNode t : toolsNode) {
                if ("function".equals(t.path("type").asText())) {
                    JsonNode fn = t.path("function");
                    tools.add(new Tool(fn.path("name").asText(), null, Json.text(fn, "description"), fn.get("parameters"), false));
                }
            }
        }
        Integer max = Json.asInt(body.node("max_completion_tokens"));
        return new ChatRequest(body.string("model").orElse(""), Message.merged(messages), tools,
                ResponsesCodec.toolChoice(body.node("tool_choice")), body.bool("parallel_tool_calls").orElse(null),
                max != null ? max : Json.asInt(body.node("max_tokens")),
                Json.asDouble(body.node("temperature")), Json.asDouble(body.node("top_p")),
                Json.strings(body.node("stop")),
                body.has("reasoning_effort") ? new Reasoning(body.node("reasoning_effort").asText(), null) : null,
                body.bool("stream").orElse(false),
                body.node("response_format") == null ? null : ResponsesCodec.responseFormat(body.node("response_format")));
    }

    private static List<Part> content(JsonNode content) {
        List<Part> parts = new ArrayList<>();
        if (content.isTextual()) {
            parts.add(new Part.Text(content.asText()));
            return parts;
        }
        for (JsonNode p : content) {
            switch (p.path("type").asText()) {
                case "text" -> parts.add(new Part.Text(p.path("text").asText()));
                case "image_url" -> {
                    String url = p.path("image_url").path("url").asText();
                    parts.add(Part.Image.fromUrl(url));
                }
                default -> { }
            }
        }
        return parts;
    }

    @Override
    public byte[] encodeRequest(ChatRequest r) {
        ObjectNode root = Json.object();
        root.put("model", r.model());
        ArrayNode messages = root.putArray("messages");
        for (Message m : r.messages()) {
            switch (m.role()) {
                case SYSTEM -> messages.addObject().put("role", "system").put("content", Message.text(m.parts()));
                case ASSISTANT -> {
                    ObjectNode msg = Json.object().put("role", "assistant");
                    String text = Message.text(m.parts());
                    if (text.isEmpty()) {
                        msg.putNull("content");
                    } else {
                        msg.put("content", text);
                    }
                    ArrayNode calls = Json.object().arrayNode();
                    for (Part p : m.parts()) {
                        if (p instanceof Part.ToolCall c) {
                            ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
                            call.putObject("function").put("name", c.name()).put("arguments", c.arguments().isEmpty() ? "{}" : c.arguments());
                        }
                    }
                    if (!calls.isEmpty()) {
                        msg.set("tool_calls", calls);
                    }
                    if (!text.isEmpty() || !calls.isEmpty()) {
                        messages.add(msg);
                    }
                }
                case USER -> {
                    // Tool results are messages of their own in chat, and must directly follow the calls.
                    ArrayNode content = Json.object().arrayNode();
                    for (Part p : m.parts()) {
                        switch (p) {
                            case Part.ToolResult tr -> messages.addObject().put("role", "tool").put("tool_call_id", tr.callId())
                                    .put("content", ResponsesCodec.resultText(tr));
                            case Part.Text t -> content.addObject().put("type", "text").put("text", t.text());
                            case Part.Image i -> content.addObject().put("type", "image_url").putObject("image_url").put("url", ResponsesCodec.imageUrl(i));
                            default -> { }
                        }
                    }
                    if (!content.isEmpty()) {
                        ObjectNode msg = messages.addObject().put("role", "user");
                        if (content.size() == 1 && content.get(0).has("text")) {
                            msg.put("content", content.get(0).path("text").asText());
                        } else {
                            msg.set("content", content);
                        }
                    }
                }
            }
        }
        if (!r.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (Tool t : r.tools()) {
                ObjectNode fn = tools.addObject().put("type", "function").putObject("function").put("name", t.name());
                if (t.description() != null) {
                    fn.put("description", t.description());
                }
                fn.set("parameters", t.parameters() != null ? t.parameters() : Json.object().put("type", "object"));
            }
            if (r.parallelToolCalls() != null) {
                root.put("parallel_tool_calls", r.parallelToolCalls());
            }
        }
        if (r.toolChoice() != null) {
            root.set("tool_choice", switch (r.toolChoice().mode()) {
                case AUTO -> root.textNode("auto");
                case NONE -> root.textNode("none");
                case REQUIRED -> root.textNode("required");
                case TOOL -> {
                    ObjectNode c = Json.object().put("type", "function");
                    c.putObject("function").put("name", r.toolChoice().name());
                    yield c;
                }
            });
        }
        if (r.maxTokens() != null) {
            root.put("max_completion_tokens", r.maxTokens());
        }
        if (r.temperature() != null) {
            root.put("temperature", r.temperature());
        }
        if (r.topP() != null) {
            root.put("top_p", r.topP());
        }
        if (!r.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop");
            r.stop().forEach(stop::add);
        }
        if (r.reasoning() != null && r.reasoning().effortOrFromBudget() != null) {
            root.put("reasoning_effort", r.reasoning().effortOrFromBudget());
        }
        if (r.responseFormat() != null) {
            ObjectNode format = ResponsesCodec.formatNode(r.responseFormat());
            if (format.has("schema")) {
                ObjectNode spec = Json.object().put("name", format.path("name").asText()).put("strict", false);
                spec.set("schema", format.get("schema"));
                format = Json.object().put("type", "json_schema");
                format.set("json_schema", spec);
            }
            root.set("response_format", format);
        }
        root.put("stream", true);
        root.putObject("stream_options").put("include_usage", true);
        return Json.bytes(root);
    }

    // ---- answers --------------------------------------------------------------------------------

    @Override
    public StreamDecoder streamDecoder() {
        return new ChatStreamDecoder();
    }

    @Override
    public StreamEncoder streamEncoder(ChatRequest clientRequest) {
        return new ChatStreamEncoder(clientRequest, true);
    }

    /** A chat client sees the usage chunk only when it asked for it ({@code stream_options.include_usage}). */
    public StreamEncoder streamEncoder(ChatRequest clientRequest, boolean includeUsage) {
        return new ChatStreamEncoder(clientRequest, includeUsage);
    }

    @Override
    public byte[] encodeResponse(ChatResponse r, ChatRequest clientRequest) {
        ObjectNode root = Json.object();
        root.put("id", completionId(r.id()));
        root.put("object", "chat.completion");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", clientRequest.model());
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode msg = choice.putObject("message").put("role", "assistant");
        String text = Message.text(r.content());
        if (text.isEmpty()) {
            msg.putNull("content");
        } else {
            msg.put("content", text);
        }
        ArrayNode calls = Json.object().arrayNode();
        StringBuilder reasoning = new StringBuilder();
        for (Part p : r.content()) {
            if (p instanceof Part.ToolCall c) {
                ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
                call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
            } else if (p instanceof Part.Thinking t) {
                reasoning.append(t.text());
            }
        }
        if (!calls.isEmpty()) {
            msg.set("tool_calls", calls);
        }
        if (!reasoning.isEmpty()) {
            msg.put("reasoning_content", reasoning.toString());
        }
        choice.put("finish_reason", finishReason(r.stopReason()));
        root.set("usage", usage(r.usage()));
        return Json.bytes(root);
    }

    static String completionId(String id) {
        return id == null || id.isEmpty() ? "chatcmpl-tollgate" : id.startsWith("chatcmpl") ? id : "chatcmpl-" + id;
    }

    static String finishReason(StopReason s) {
        return switch (s) {
            case MAX_TOKENS -> "length";
            case TOOL_USE -> "tool_calls";
            case REFUSAL -> "content_filter";
            default -> "stop";
        };
    }

    static StopReason stopReason(String finish) {
        return switch (finish) {
            case "length" -> StopReason.MAX_TOKENS;
            case "tool_calls", "function_call" -> StopReason.TOOL_USE;
            case "content_filter" -> StopReason.REFUSAL;
            default -> StopReason.END_TURN;
        };
    }

    static ObjectNode usage(Usage u) {
        ObjectNode usage = Json.object();
        usage.put("prompt_tokens", u.inputTokens());
        usage.put("completion_tokens", u.outputTokens());
        usage.put("total_tokens", u.totalTokens());
        usage.putObject("prompt_tokens_details").put("cached_tokens", u.cachedInputTokens());
        usage.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return usage;
    }
}
