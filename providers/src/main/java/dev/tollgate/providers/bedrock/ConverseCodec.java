package dev.tollgate.providers.bedrock;

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
import dev.tollgate.providers.ir.ToolChoice;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.ProviderUsage;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Amazon Bedrock's Converse ({@code POST /model/{modelId}/converse}, {@code .../converse-stream}).
 * The model is in the path, not the body. Bedrock is only ever an upstream: no client speaks it,
 * so there is no stream encoder.
 */
public final class ConverseCodec implements WireCodec {

    public static final ConverseCodec INSTANCE = new ConverseCodec();

    private ConverseCodec() {
    }

    // ---- requests -------------------------------------------------------------------------------

    /** @return the request with an empty model: Converse names it in the path */
    @Override
    public ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException {
        List<Message> messages = new ArrayList<>();
        JsonNode system = body.node("system");
        if (system != null && system.isArray()) {
            List<Part> parts = new ArrayList<>();
            system.forEach(s -> {
                if (s.has("text")) {
                    parts.add(new Part.Text(s.path("text").asText()));
                }
            });
            messages.add(new Message(Role.SYSTEM, parts));
        }
        JsonNode msgs = body.node("messages");
        if (msgs == null || !msgs.isArray()) {
            throw new InvalidJsonException("'messages' is required: a list of {role, content} messages", "messages");
        }
        for (JsonNode m : msgs) {
            messages.add(new Message("assistant".equals(m.path("role").asText()) ? Role.ASSISTANT : Role.USER, content(m.path("content"))));
        }
        List<Tool> tools = new ArrayList<>();
        ToolChoice choice = null;
        JsonNode toolConfig = body.node("toolConfig");
        if (toolConfig != null) {
            for (JsonNode t : toolConfig.path("tools")) {
                JsonNode spec = t.path("toolSpec");
                if (spec.isObject()) {
                    tools.add(new Tool(spec.path("name").asText(), null, Json.text(spec, "description"), spec.path("inputSchema").get("json"), false));
                }
            }
            JsonNode tc = toolConfig.path("toolChoice");
            if (tc.has("any")) {
                choice = new ToolChoice(ToolChoice.Mode.REQUIRED, null);
            } else if (tc.has("tool")) {
                choice = new ToolChoice(ToolChoice.Mode.TOOL, tc.path("tool").path("name").asText());
            } else if (tc.has("auto")) {
                choice = ToolChoice.AUTO;
            }
        }
        JsonNode config = body.node("inferenceConfig");
        config = config == null ? Json.object() : config;
        JsonNode thinking = body.node("additionalModelRequestFields") == null ? null : body.node("additionalModelRequestFields").get("thinking");
        Reasoning reasoning = thinking != null && "enabled".equals(thinking.path("type").asText())
                ? new Reasoning(null, Json.intOrNull(thinking, "budget_tokens")) : null;
        return new ChatRequest("", messages, tools, choice, null, Json.intOrNull(config, "maxTokens"),
                Json.doubleOrNull(config, "temperature"), Json.doubleOrNull(config, "topP"), Json.strings(config.get("stopSequences")),
                reasoning, false);
    }

    static List<Part> content(JsonNode content) {
        List<Part> parts = new ArrayList<>();
        for (JsonNode b : content) {
            if (b.has("text")) {
                parts.add(new Part.Text(b.path("text").asText()));
            } else if (b.has("image")) {
                JsonNode img = b.path("image");
                parts.add(new Part.Image("image/" + img.path("format").asText(), img.path("source").path("bytes").asText(), null));
            } else if (b.has("toolUse")) {
                JsonNode use = b.path("toolUse");
                parts.add(new Part.ToolCall(use.path("toolUseId").asText(), use.path("name").asText(), use.path("input").toString()));
            } else if (b.has("toolResult")) {
                JsonNode res = b.path("toolResult");
                List<Part> inner = new ArrayList<>();
                for (JsonNode c : res.path("content")) {
                    if (c.has("json")) {
                        inner.add(new Part.Text(c.get("json").toString()));
                    } else {
                        inner.addAll(content(JsonBody.MAPPER.createArrayNode().add(c)));
                    }
                }
                parts.add(new Part.ToolResult(res.path("toolUseId").asText(), inner, "error".equals(res.path("status").asText())));
            } else if (b.has("reasoningContent")) {
                JsonNode r = b.path("reasoningContent");
                if (r.has("redactedContent")) {
                    parts.add(new Part.RedactedThinking(r.path("redactedContent").asText()));
                } else {
                    JsonNode t = r.path("reasoningText");
                    parts.add(new Part.Thinking(t.path("text").asText(), Json.text(t, "signature"), null));
                }
            }
        }
        return parts;
    }

    @Override
    public byte[] encodeRequest(ChatRequest r) {
        ObjectNode root = Json.object();
        ArrayNode system = Json.object().arrayNode();
        ArrayNode messages = root.putArray("messages");
        for (Message m : Message.merged(r.messages())) {
            if (m.role() == Role.SYSTEM) {
                // Converse takes instructions only up front: developer messages from later turns join them.
                for (Part p : m.parts()) {
                    if (p instanceof Part.Text t && !t.text().isEmpty()) {
                        system.addObject().put("text", t.text());
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
            system.addObject().put("text", "Answer with a single JSON value and nothing else: no prose, no code fences."
                    + (r.responseFormat().schema() == null ? "" : " It must match this JSON Schema: " + r.responseFormat().schema()));
        }
        if (!system.isEmpty()) {
            root.set("system", system);
        }
        // As on Anthropic's API: no thinking when the turn that called tools lost its thinking.
        boolean thinks = r.reasoning() != null && r.reasoning().thinks() && claude(r.model())
                && !dev.tollgate.providers.anthropic.AnthropicCodec.toolTurnLostItsThinking(r.messages());
        int budget = thinks ? r.reasoning().budgetOrFromEffort() : 0;
        if (thinks && r.maxTokens() != null) {
            budget = Math.min(budget, r.maxTokens() - 1024);
        }
        thinks = thinks && budget >= 1024;
        ObjectNode config = Json.object();
        if (r.maxTokens() != null) {
            config.put("maxTokens", r.maxTokens());
        }
        if (!thinks) {
            // Claude refuses temperature and topP together with thinking.
            if (r.temperature() != null) {
                config.put("temperature", Math.min(1.0, r.temperature()));
            }
            if (r.topP() != null) {
                config.put("topP", r.topP());
            }
        }
        if (!r.stop().isEmpty()) {
            ArrayNode stop = config.putArray("stopSequences");
            r.stop().forEach(stop::add);
        }
        if (!config.isEmpty()) {
            root.set("inferenceConfig", config);
        }
        if (!r.tools().isEmpty()) {
            ObjectNode toolConfig = root.putObject("toolConfig");
            ArrayNode tools = toolConfig.putArray("tools");
            for (Tool t : r.tools()) {
                ObjectNode spec = tools.addObject().putObject("toolSpec");
                spec.put("name", t.name());
                if (t.description() != null && !t.description().isEmpty()) {
                    spec.put("description", t.description());
                }
                spec.putObject("inputSchema").set("json", t.parameters() != null && t.parameters().isObject() ? t.parameters()
                        : Json.object().put("type", "object"));
            }
            // Converse has no "none": the tools stay declared (past calls need them), the model chooses.
            ToolChoice c = r.toolChoice();
            if (c != null && c.mode() != ToolChoice.Mode.NONE) {
                ObjectNode choice = toolConfig.putObject("toolChoice");
                switch (c.mode()) {
                    case REQUIRED -> choice.putObject("any");
                    case TOOL -> choice.putObject("tool").put("name", c.name());
                    default -> choice.putObject("auto");
                }
            }
        }
        if (thinks) {
            root.putObject("additionalModelRequestFields").putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
        }
        return Json.bytes(root);
    }

    /** Only Anthropic's models on Bedrock take a thinking budget (inference profiles prefix a geography). */
    static boolean claude(String modelId) {
        return modelId != null && modelId.contains("anthropic.");
    }

    private static void block(Part p, ArrayNode blocks) {
        switch (p) {
            case Part.Text t -> {
                if (!t.text().isEmpty()) { // Bedrock refuses blank text blocks
                    blocks.addObject().put("text", t.text());
                }
            }
            case Part.Image i -> {
                String[] data = i.url() == null ? null : Json.dataUrl(i.url());
                String mediaType = data != null ? data[0] : i.mediaType();
                String bytes = data != null ? data[1] : i.data();
                if (bytes == null) {
                    // Converse takes image bytes or S3 locations, never a web URL.
                    blocks.addObject().put("text", "[image: " + i.url() + "]");
                } else {
                    blocks.addObject().putObject("image").put("format", imageFormat(mediaType)).putObject("source").put("bytes", bytes);
                }
            }
            case Part.ToolCall c -> {
                JsonNode input = Json.parseOrString(c.arguments());
                ObjectNode use = blocks.addObject().putObject("toolUse").put("toolUseId", c.id()).put("name", c.name());
                use.set("input", input.isObject() ? input : Json.object().set("input", input));
            }
            case Part.ToolResult tr -> {
                ObjectNode res = blocks.addObject().putObject("toolResult").put("toolUseId", tr.callId());
                ArrayNode content = res.putArray("content");
                for (Part inner : tr.content()) {
                    block(inner, content);
                }
                if (content.isEmpty()) {
                    content.addObject().put("text", "(no output)");
                }
                res.put("status", tr.error() ? "error" : "success");
            }
            case Part.Thinking t -> {
                // Only signed reasoning can go back; anything else would be refused.
                if (t.signature() != null) {
                    blocks.addObject().putObject("reasoningContent").putObject("reasoningText").put("text", t.text()).put("signature", t.signature());
                }
            }
            case Part.RedactedThinking r -> blocks.addObject().putObject("reasoningContent").put("redactedContent", r.data());
        }
    }

    static String imageFormat(String mediaType) {
        String sub = mediaType == null ? "png" : mediaType.substring(mediaType.indexOf('/') + 1).toLowerCase(Locale.ROOT);
        return sub.equals("jpg") ? "jpeg" : sub;
    }

    // ---- answers --------------------------------------------------------------------------------

    @Override
    public StreamDecoder streamDecoder() {
        return new ConverseStreamDecoder();
    }

    @Override
    public StreamEncoder streamEncoder(ChatRequest clientRequest) {
        throw new UnsupportedOperationException("no client surface speaks Bedrock Converse; it is only an upstream");
    }

    /** A whole Converse answer ({@code POST .../converse}), for symmetry with {@link #decodeResponse}. */
    @Override
    public byte[] encodeResponse(ChatResponse r, ChatRequest clientRequest) {
        ObjectNode root = Json.object();
        ObjectNode message = root.putObject("output").putObject("message");
        message.put("role", "assistant");
        ArrayNode content = message.putArray("content");
        for (Part p : r.content()) {
            block(p, content);
        }
        root.put("stopReason", stopReason(r.stopReason()));
        root.set("usage", usage(r.usage()));
        return Json.bytes(root);
    }

    /** A whole Converse answer as the IR's; {@code id} and {@code model} are not in the body. */
    public ChatResponse decodeResponse(byte[] body, String id, String model) {
        JsonNode root = Json.parse(body);
        List<Part> content = content(root.path("output").path("message").path("content"));
        return new ChatResponse(id, model, content, stopReason(root.path("stopReason").asText()), ProviderUsage.bedrock(root.path("usage")));
    }

    static StopReason stopReason(String s) {
        return switch (s == null ? "" : s) {
            case "max_tokens", "model_context_window_exceeded" -> StopReason.MAX_TOKENS;
            case "tool_use" -> StopReason.TOOL_USE;
            case "stop_sequence" -> StopReason.STOP_SEQUENCE;
            case "guardrail_intervened", "content_filtered" -> StopReason.REFUSAL;
            default -> StopReason.END_TURN;
        };
    }

    static String stopReason(StopReason s) {
        return switch (s) {
            case REFUSAL -> "content_filtered";
            case PAUSE_TURN -> "end_turn";
            default -> s.name().toLowerCase(Locale.ROOT);
        };
    }

    /** Converse counts cache reads and writes apart from inputTokens; the IR counts them in. */
    static ObjectNode usage(Usage u) {
        ObjectNode usage = Json.object();
        long input = Math.max(0, u.inputTokens() - u.cachedInputTokens() - u.cacheWriteTokens());
        usage.put("inputTokens", input);
        usage.put("outputTokens", u.outputTokens());
        usage.put("totalTokens", u.inputTokens() + u.outputTokens());
        usage.put("cacheReadInputTokens", u.cachedInputTokens());
        usage.put("cacheWriteInputTokens", u.cacheWriteTokens());
        return usage;
    }
}
