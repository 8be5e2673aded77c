package dev.tollgate.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.CarriedReasoning;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Message;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.Reasoning;
import dev.tollgate.providers.ir.ResponseFormat;
import dev.tollgate.providers.ir.Role;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.ir.ToolChoice;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/** Anthropic Messages ({@code POST /v1/messages}). */
public final class AnthropicCodec implements WireCodec {

    public static final AnthropicCodec INSTANCE = new AnthropicCodec();

    /** Anthropic requires max_tokens; clients of other formats often leave it out. */
    static final int DEFAULT_MAX_TOKENS = 32000;
    /** Marks OpenAI reasoning carried in a thinking block's signature, so it only ever goes back to OpenAI. */
    public static final String OPENAI_SIGNATURE = "tg-openai:";

    private AnthropicCodec() {
    }

    // ---- requests -------------------------------------------------------------------------------

    @Override
    public ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException {
        List<Message> messages = new ArrayList<>();
        JsonNode system = body.node("system");
        if (system != null && !system.isNull()) {
            messages.add(new Message(Role.SYSTEM, content(system)));
        }
        JsonNode msgs = body.node("messages");
        if (msgs == null || !msgs.isArray()) {
            throw new InvalidJsonException("'messages' is required: a list of {role, content} messages", "messages");
        }
        for (JsonNode m : msgs) {
            Role role = switch (m.path("role").asText()) {
                case "assistant" -> Role.ASSISTANT;
                // Claude Code puts a role:"system" message inside messages; keep it where it is.
                case "system" -> Role.SYSTEM;
                default -> Role.USER;
            };
            messages.add(new Message(role, content(m.path("content"))));
        }
        List<Tool> tools = new ArrayList<>();
        JsonNode toolsNode = body.node("tools");
        if (toolsNode != null) {
            for (JsonNode t : toolsNode) {
                // Server tools (web_search_..., bash_2025...) have a type and no schema: only Anthropic runs them.
                if (t.has("input_schema")) {
                    tools.add(new Tool(t.path("name").asText(), null, Json.text(t, "description"), t.get("input_schema"), false));
                }
            }
        }
        ToolChoice choice = null;
        Boolean parallel = null;
        JsonNode tc = body.node("tool_choice");
        if (tc != null && tc.isObject()) {
            choice = switch (tc.path("type").asText()) {
                case "any" -> new ToolChoice(ToolChoice.Mode.REQUIRED, null);
                case "tool" -> new ToolChoice(ToolChoice.Mode.TOOL, tc.path("name").asText());
                case "none" -> new ToolChoice(ToolChoice.Mode.NONE, null);
                default -> ToolChoice.AUTO;
            };
            if (tc.path("disable_parallel_tool_use").asBoolean(false)) {
                parallel = false;
            }
        }
        Reasoning reasoning = null;
        JsonNode thinking = body.node("thinking");
        JsonNode effort = body.node("output_config") == null ? null : body.node("output_config").get("effort");
        if (thinking != null && thinking.isObject()) {
            switch (thinking.path("type").asText()) {
                case "enabled" -> reasoning = new Reasoning(effort == null ? null : effort.asText(), Json.intOrNull(thinking, "budget_tokens"));
                case "adaptive" -> reasoning = new Reasoning(effort == null ? "medium" : effort.asText(), null);
                default -> { }
            }
        }
        JsonNode outputFormat = body.node("output_format");
        ResponseFormat format = outputFormat != null && "json_schema".equals(outputFormat.path("type").asText())
                ? new ResponseFormat("response", outputFormat.get("schema")) : null;
        return new ChatRequest(body.string("model").orElse(""), messages, tools, choice, parallel,
                Json.asInt(body.node("max_tokens")), Json.asDouble(body.node("temperature")), Json.asDouble(body.node("top_p")),
                Json.strings(body.node("stop_sequences")), reasoning, body.bool("stream").orElse(false), format);
    }

    /** A string, or a list of content blocks. */
    static List<Part> content(JsonNode content) {
        List<Part> parts = new ArrayList<>();
        if (content.isTextual()) {
            parts.add(new Part.Text(content.asText()));
            return parts;
        }
        Map<String, String> callSignatures = new HashMap<>();
        for (JsonNode b : content) {
            switch (b.path("type").asText()) {
                case "text" -> parts.add(new Part.Text(b.path("text").asText()));
                case "image" -> {
                    JsonNode src = b.path("source");
                    parts.add("url".equals(src.path("type").asText())
                            ? new Part.Image(null, null, src.path("url").asText())
                            : new Part.Image(src.path("media_type").asText(), src.path("data").asText(), null));
                }
                case "tool_use" -> parts.add(new Part.ToolCall(b.path("id").asText(), b.path("name").asText(), b.path("input").toString()));
                case "tool_result" -> parts.add(new Part.ToolResult(b.path("tool_use_id").asText(),
                        b.has("content") ? content(b.get("content")) : List.of(), b.path("is_error").asBoolean(false)));
                case "thinking" -> {
                    String sig = b.path("signature").asText("");
                    if (CarriedReasoning.open(sig, null) instanceof CarriedReasoning.CallSignature cs) {
                        callSignatures.put(cs.callId(), cs.signature()); // Gemini's, for the tool_use that follows
                        continue;
                    }
                    parts.add(sig.startsWith(OPENAI_SIGNATURE)
                            ? new Part.Thinking(b.path("thinking").asText(), null, sig.substring(OPENAI_SIGNATURE.length()))
                            : new Part.Thinking(b.path("thinking").asText(), sig.isEmpty() ? null : sig, null));
                }
                case "redacted_thinking" -> parts.add(new Part.RedactedThinking(b.path("data").asText()));
                default -> { } // documents, search results, server tool blocks: no other format has them
            }
        }
        if (!callSignatures.isEmpty()) {
            parts.replaceAll(p -> p instanceof Part.ToolCall c && callSignatures.containsKey(c.id())
                    ? new Part.ToolCall(c.id(), c.name(), c.arguments(), callSignatures.get(c.id())) : p);
        }
        return parts;
    }

    @Override
    public byte[] encodeRequest(ChatRequest r) {
        ObjectNode root = Json.object();
        root.put("model", r.model());
        int maxTokens = r.maxTokens() != null ? r.maxTokens() : DEFAULT_MAX_TOKENS;
        // Claude refuses thinking when the turn that called tools lost its thinking (a chat client cannot carry it back).
        boolean thinks = r.reasoning() != null && r.reasoning().thinks() && !toolTurnLostItsThinking(r.messages());
        int budget = thinks ? Math.min(r.reasoning().budgetOrFromEffort(), maxTokens - 1024) : 0;
        thinks = thinks && budget >= 1024;
        root.put("max_tokens", maxTokens);
        ArrayNode system = Json.object().arrayNode();
        ArrayNode messages = root.putArray("messages");
        for (Message m : Message.merged(r.messages())) {
            if (m.role() == Role.SYSTEM) {
                // Anthropic takes instructions only up front: developer messages from later turns join them.
                for (Part p : m.parts()) {
                    if (p instanceof Part.Text t && !t.text().isEmpty()) {
                        system.addObject().put("type", "text").put("text", t.text());
                    }
                }
                continue;
            }
            ArrayNode blocks = Json.object().arrayNode();
            for (Part p : m.parts()) {
                block(p, blocks);
            }
            if (!blocks.isEmpty()) {
                ObjectNode msg = messages.addObject();
                msg.put("role", m.role() == Role.ASSISTANT ? "assistant" : "user");
                msg.set("content", blocks);
            }
        }
        if (r.responseFormat() != null) {
            // Said in words rather than with output_format, which not every Claude model or deployment takes.
            system.addObject().put("type", "text").put("text", "Answer with a single JSON value and nothing else: no prose, no code fences."
                    + (r.responseFormat().schema() == null ? "" : " It must match this JSON Schema: " + r.responseFormat().schema()));
        }
        if (!system.isEmpty()) {
            root.set("system", system);
        }
        if (!r.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (Tool t : r.tools()) {
                ObjectNode tool = tools.addObject();
                tool.put("name", t.name());
                if (t.description() != null) {
                    tool.put("description", t.description());
                }
                tool.set("input_schema", t.parameters() != null && t.parameters().isObject() ? t.parameters()
                        : Json.object().put("type", "object"));
            }
            if (r.toolChoice() != null || Boolean.FALSE.equals(r.parallelToolCalls())) {
                ToolChoice c = r.toolChoice() == null ? ToolChoice.AUTO : r.toolChoice();
                ObjectNode choice = root.putObject("tool_choice");
                choice.put("type", switch (c.mode()) {
                    case AUTO -> "auto";
                    case NONE -> "none";
                    case REQUIRED -> "any";
                    case TOOL -> "tool";
                });
                if (c.mode() == ToolChoice.Mode.TOOL) {
                    choice.put("name", c.name());
                }
                if (Boolean.FALSE.equals(r.parallelToolCalls()) && c.mode() != ToolChoice.Mode.NONE) {
                    choice.put("disable_parallel_tool_use", true);
                }
            }
        }
        if (thinks) {
            root.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
        } else {
            // Anthropic refuses temperature and top_p together with thinking.
            if (r.temperature() != null) {
                root.put("temperature", Math.min(1.0, r.temperature()));
            }
            if (r.topP() != null) {
                root.put("top_p", r.topP());
            }
        }
        if (!r.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop_sequences");
            r.stop().forEach(stop::add);
        }
        root.put("stream", true);
        return Json.bytes(root);
    }

    /** The last assistant turn calls tools but does not start with (signed or redacted) thinking. */
    public static boolean toolTurnLostItsThinking(List<Message> messages) {
        List<Message> merged = Message.merged(messages);
        for (int i = merged.size() - 1; i >= 0; i--) {
            Message m = merged.get(i);
            if (m.role() != Role.ASSISTANT) {
                continue;
            }
            boolean calls = m.parts().stream().anyMatch(p -> p instanceof Part.ToolCall);
            // Empty text and unsigned thinking are not sent, so they do not count as the turn's start.
            Part first = m.parts().stream().filter(p -> !(p instanceof Part.Text text && text.text().isEmpty())
                    && !(p instanceof Part.Thinking thought && thought.signature() == null)).findFirst().orElse(null);
            return calls && !(first instanceof Part.Thinking || first instanceof Part.RedactedThinking);
        }
        return false;
    }

    private static void block(Part p, ArrayNode blocks) {
        switch (p) {
            case Part.Text t -> {
                if (!t.text().isEmpty()) { // Anthropic refuses empty text blocks
                    blocks.addObject().put("type", "text").put("text", t.text());
                }
            }
            case Part.Image i -> {
                ObjectNode img = blocks.addObject().put("type", "image");
                ObjectNode src = img.putObject("source");
                String[] data = i.url() == null ? null : Json.dataUrl(i.url());
                if (i.data() != null || data != null) {
                    src.put("type", "base64").put("media_type", data != null ? data[0] : i.mediaType()).put("data", data != null ? data[1] : i.data());
                } else {
                    src.put("type", "url").put("url", i.url());
                }
            }
            case Part.ToolCall c -> {
                JsonNode input = Json.parseOrString(c.arguments());
                ObjectNode use = blocks.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name());
                use.set("input", input.isObject() ? input : Json.object().set("input", input));
            }
            case Part.ToolResult tr -> {
                ObjectNode res = blocks.addObject().put("type", "tool_result").put("tool_use_id", tr.callId());
                ArrayNode content = res.putArray("content");
                for (Part inner : tr.content()) {
                    block(inner, content);
                }
                if (content.isEmpty()) {
                    res.remove("content");
                }
                if (tr.error()) {
                    res.put("is_error", true);
                }
            }
            case Part.Thinking t -> {
                // Only Anthropic's own signed thinking can go back; anything else would be refused.
                if (t.signature() != null) {
                    blocks.addObject().put("type", "thinking").put("thinking", t.text()).put("signature", t.signature());
                }
            }
            case Part.RedactedThinking r -> blocks.addObject().put("type", "redacted_thinking").put("data", r.data());
        }
    }

    // ---- answers --------------------------------------------------------------------------------

    @Override
    public StreamDecoder streamDecoder() {
        return new AnthropicStreamDecoder();
    }

    @Override
    public StreamEncoder streamEncoder(ChatRequest clientRequest) {
        return new AnthropicStreamEncoder(clientRequest);
    }

    @Override
    public byte[] encodeResponse(ChatResponse r, ChatRequest clientRequest) {
        ObjectNode root = Json.object();
        root.put("id", messageId(r.id()));
        root.put("type", "message");
        root.put("role", "assistant");
        root.put("model", clientRequest.model());
        ArrayNode content = root.putArray("content");
        for (Part p : r.content()) {
            switch (p) {
                case Part.Text t -> content.addObject().put("type", "text").put("text", t.text());
                case Part.ToolCall c -> {
                    if (c.signature() != null) {
                        content.addObject().put("type", "thinking").put("thinking", "").put("signature", CarriedReasoning.seal(c));
                    }
                    JsonNode input = Json.parseOrString(c.arguments());
                    content.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name())
                            .set("input", input.isObject() ? input : Json.object());
                }
                case Part.Thinking t -> content.addObject().put("type", "thinking").put("thinking", t.text())
                        .put("signature", signature(t.signature(), t.encrypted()));
                case Part.RedactedThinking rt -> content.addObject().put("type", "redacted_thinking").put("data", rt.data());
                default -> { }
            }
        }
        root.put("stop_reason", stopReason(r.stopReason()));
        root.putNull("stop_sequence");
        root.set("usage", usage(r.usage()));
        return Json.bytes(root);
    }

    static String messageId(String id) {
        return id == null || id.isEmpty() ? "msg_tollgate" : id.startsWith("msg_") ? id : "msg_" + id;
    }

    static String signature(String signature, String encrypted) {
        return signature != null ? signature : encrypted != null ? OPENAI_SIGNATURE + encrypted : "";
    }

    static String stopReason(StopReason s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    static StopReason stopReason(String s) {
        return switch (s == null ? "" : s) {
            case "max_tokens", "model_context_window_exceeded" -> StopReason.MAX_TOKENS;
            case "tool_use" -> StopReason.TOOL_USE;
            case "stop_sequence" -> StopReason.STOP_SEQUENCE;
            case "refusal" -> StopReason.REFUSAL;
            case "pause_turn" -> StopReason.PAUSE_TURN;
            default -> StopReason.END_TURN;
        };
    }

    /** Anthropic counts cache reads and writes apart from input_tokens; the IR counts them in. */
    static ObjectNode usage(Usage u) {
        ObjectNode usage = Json.object();
        usage.put("input_tokens", Math.max(0, u.inputTokens() - u.cachedInputTokens() - u.cacheWriteTokens()));
        usage.put("cache_creation_input_tokens", u.cacheWriteTokens());
        usage.put("cache_read_input_tokens", u.cachedInputTokens());
        usage.put("output_tokens", u.outputTokens());
        return usage;
    }
}
