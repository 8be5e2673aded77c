package dev.tollgate.providers.gemini;

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
import dev.tollgate.providers.usage.ProviderUsage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gemini's generateContent / streamGenerateContent. The model and streaming are in the URL, not the
 * body: the surface sets them on the decoded request.
 */
public final class GeminiCodec implements WireCodec {

    public static final GeminiCodec INSTANCE = new GeminiCodec();

    /** Google's documented value for function calls whose thought signature is unknown (history from another model). */
    static final String SKIP_SIGNATURE = "skip_thought_signature_validator";

    private GeminiCodec() {
    }

    // ---- requests -------------------------------------------------------------------------------

    @Override
    public ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException {
        List<Message> messages = new ArrayList<>();
        JsonNode system = body.node("systemInstruction");
        if (system != null && system.isObject()) {
            messages.add(new Message(Role.SYSTEM, parts(system.path("parts"), new HashMap<>())));
        }
        JsonNode contents = body.node("contents");
        if (contents == null || !contents.isArray()) {
            throw new InvalidJsonException("'contents' is required: a list of {role, parts}", "contents");
        }
        // Calls without ids are answered by name, in order.
        Map<String, Deque<String>> pending = new HashMap<>();
        for (JsonNode c : contents) {
            Role role = "model".equals(c.path("role").asText()) ? Role.ASSISTANT : Role.USER;
            messages.add(new Message(role, parts(c.path("parts"), pending)));
        }
        List<Tool> tools = new ArrayList<>();
        JsonNode toolsNode = body.node("tools");
        if (toolsNode != null) {
            for (JsonNode t : toolsNode) {
                for (JsonNode fn : t.path("functionDeclarations")) {
                    JsonNode schema = fn.has("parametersJsonSchema") ? fn.get("parametersJsonSchema") : fn.get("parameters");
                    tools.add(new Tool(fn.path("name").asText(), null, Json.text(fn, "description"), jsonSchema(schema), false));
                }
            }
        }
        ToolChoice choice = null;
        JsonNode fcc = body.node("toolConfig") == null ? null : body.node("toolConfig").path("functionCallingConfig");
        if (fcc != null && fcc.has("mode")) {
            JsonNode allowed = fcc.path("allowedFunctionNames");
            choice = switch (fcc.path("mode").asText()) {
                case "ANY" -> allowed.size() == 1 ? new ToolChoice(ToolChoice.Mode.TOOL, allowed.get(0).asText()) : new ToolChoice(ToolChoice.Mode.REQUIRED, null);
                case "NONE" -> new ToolChoice(ToolChoice.Mode.NONE, null);
                default -> ToolChoice.AUTO;
            };
        }
        JsonNode gen = body.node("generationConfig") == null ? Json.object() : body.node("generationConfig");
        Reasoning reasoning = null;
        JsonNode thinking = gen.path("thinkingConfig");
        if (thinking.isObject()) {
            Integer budget = Json.intOrNull(thinking, "thinkingBudget");
            String level = Json.text(thinking, "thinkingLevel");
            if (budget == null || budget != 0) {
                reasoning = new Reasoning(level == null ? null : level.toLowerCase(Locale.ROOT), budget == null || budget < 0 ? null : budget);
            }
        }
        ResponseFormat format = null;
        if ("application/json".equals(Json.text(gen, "responseMimeType"))) {
            format = new ResponseFormat("response", jsonSchema(gen.has("responseJsonSchema") ? gen.get("responseJsonSchema") : gen.get("responseSchema")));
        }
        return new ChatRequest("", messages, tools, choice, null, Json.intOrNull(gen, "maxOutputTokens"),
                Json.doubleOrNull(gen, "temperature"), Json.doubleOrNull(gen, "topP"), Json.strings(gen.get("stopSequences")), reasoning, false,
                format);
    }

    /**
     * Gemini's own Schema spells types in capitals (OBJECT, STRING), and Gemini CLI uses it even in
     * responseJsonSchema; other providers want JSON Schema's lower-case names.
     */
    static JsonNode jsonSchema(JsonNode schema) {
        if (schema == null || !schema.isContainerNode()) {
            return schema;
        }
        JsonNode copy = schema.deepCopy();
        lowerTypes(copy);
        return copy;
    }

    private static void lowerTypes(JsonNode node) {
        if (node instanceof ObjectNode obj) {
            JsonNode type = obj.get("type");
            if (type != null && type.isTextual() && type.asText().equals(type.asText().toUpperCase(Locale.ROOT))) {
                obj.put("type", type.asText().toLowerCase(Locale.ROOT));
            }
        }
        for (JsonNode child : node) {
            lowerTypes(child);
        }
    }

    private static List<Part> parts(JsonNode parts, Map<String, Deque<String>> pending) {
        List<Part> out = new ArrayList<>();
        List<Part> restored = new ArrayList<>();
        int n = 0;
        for (JsonNode p : parts) {
            n++;
            if (p.has("functionCall")) {
                // Claude's thinking the gateway carried through this Gemini client goes back at the start of the turn, where Claude put it.
                restored.addAll(CarriedReasoning.openAll(Json.text(p, "thoughtSignature")));
                JsonNode call = p.get("functionCall");
                String name = call.path("name").asText();
                String id = call.hasNonNull("id") ? call.get("id").asText() : "call_" + name + "_" + pending.size() + "_" + n;
                pending.computeIfAbsent(name, k -> new ArrayDeque<>()).add(id);
                out.add(new Part.ToolCall(id, name, call.path("args").isMissingNode() ? "{}" : call.path("args").toString(), signature(p)));
            } else if (p.has("functionResponse")) {
                JsonNode res = p.get("functionResponse");
                String name = res.path("name").asText();
                Deque<String> ids = pending.getOrDefault(name, new ArrayDeque<>());
                String id = res.hasNonNull("id") ? res.get("id").asText() : ids.isEmpty() ? "call_" + name : ids.peekFirst();
                ids.remove(id);
                JsonNode response = res.path("response");
                boolean error = response.has("error") && !response.has("output");
                JsonNode shown = response.has("output") ? response.get("output") : response.has("error") ? response.get("error") : response;
                out.add(new Part.ToolResult(id, List.of(new Part.Text(shown.isTextual() ? shown.asText() : shown.toString())), error));
            } else if (p.has("inlineData")) {
                out.add(new Part.Image(p.path("inlineData").path("mimeType").asText(), p.path("inlineData").path("data").asText(), null));
            } else if (p.has("fileData")) {
                out.add(new Part.Image(p.path("fileData").path("mimeType").asText(null), null, p.path("fileData").path("fileUri").asText()));
            } else if (p.path("thought").asBoolean(false)) {
                out.add(new Part.Thinking(p.path("text").asText(), null, null));
            } else if (p.has("text")) {
                out.add(new Part.Text(p.path("text").asText()));
            }
        }
        out.addAll(0, restored);
        return out;
    }

    @Override
    public byte[] encodeRequest(ChatRequest r) {
        ObjectNode root = Json.object();
        ArrayNode contents = root.putArray("contents");
        ArrayNode system = Json.object().arrayNode();
        Map<String, String> callNames = new HashMap<>();
        for (Message m : r.messages()) {
            if (m.role() == Role.SYSTEM) {
                String text = Message.text(m.parts());
                if (!text.isEmpty()) {
                    system.addObject().put("text", text);
                }
                continue;
            }
            ArrayNode parts = Json.object().arrayNode();
            for (Part p : m.parts()) {
                switch (p) {
                    case Part.Text t -> {
                        if (!t.text().isEmpty()) {
                            parts.addObject().put("text", t.text());
                        }
                    }
                    case Part.Image i -> {
                        String[] data = i.url() == null ? null : Json.dataUrl(i.url());
                        if (i.data() != null || data != null) {
                            parts.addObject().putObject("inlineData").put("mimeType", data != null ? data[0] : i.mediaType())
                                    .put("data", data != null ? data[1] : i.data());
                        } else {
                            ObjectNode file = parts.addObject().putObject("fileData").put("fileUri", i.url());
                            if (i.mediaType() != null) {
                                file.put("mimeType", i.mediaType());
                            }
                        }
                    }
                    case Part.ToolCall c -> {
                        callNames.put(c.id(), c.name());
                        ObjectNode part = parts.addObject();
                        JsonNode args = Json.parseOrString(c.arguments());
                        part.putObject("functionCall").put("id", c.id()).put("name", c.name())
                                .set("args", args.isObject() ? args : Json.object().set("input", args));
                        // The call's own signature when Gemini made it; Google's documented stand-in for history from elsewhere.
                        part.put("thoughtSignature", c.signature() != null ? c.signature() : SKIP_SIGNATURE);
                    }
                    case Part.ToolResult tr -> {
                        ObjectNode res = parts.addObject().putObject("functionResponse").put("id", tr.callId())
                                .put("name", callNames.getOrDefault(tr.callId(), tr.callId()));
                        res.putObject("response").put(tr.error() ? "error" : "output", Message.text(tr.content()));
                    }
                    case Part.Thinking t -> { } // Gemini's thoughts are not sent back
                    case Part.RedactedThinking rt -> { }
                }
            }
            if (!parts.isEmpty()) {
                ObjectNode content = contents.addObject().put("role", m.role() == Role.ASSISTANT ? "model" : "user");
                content.set("parts", parts);
            }
        }
        if (!system.isEmpty()) {
            root.putObject("systemInstruction").set("parts", system);
        }
        if (!r.tools().isEmpty()) {
            ArrayNode decls = root.putArray("tools").addObject().putArray("functionDeclarations");
            for (Tool t : r.tools()) {
                ObjectNode fn = decls.addObject().put("name", t.name());
                if (t.description() != null) {
                    fn.put("description", t.description());
                }
                if (t.parameters() != null) {
                    // parametersJsonSchema takes full JSON Schema ($schema, additionalProperties), unlike parameters.
                    fn.set("parametersJsonSchema", t.parameters());
                }
            }
            if (r.toolChoice() != null) {
                ObjectNode fcc = root.putObject("toolConfig").putObject("functionCallingConfig");
                switch (r.toolChoice().mode()) {
                    case AUTO -> fcc.put("mode", "AUTO");
                    case NONE -> fcc.put("mode", "NONE");
                    case REQUIRED -> fcc.put("mode", "ANY");
                    case TOOL -> {
                        fcc.put("mode", "ANY");
                        fcc.putArray("allowedFunctionNames").add(r.toolChoice().name());
                    }
                }
            }
        }
        ObjectNode gen = Json.object();
        if (r.maxTokens() != null) {
            gen.put("maxOutputTokens", r.maxTokens());
        }
        if (r.temperature() != null) {
            gen.put("temperature", r.temperature());
        }
        if (r.topP() != null) {
            gen.put("topP", r.topP());
        }
        if (!r.stop().isEmpty()) {
            ArrayNode stop = gen.putArray("stopSequences");
            r.stop().forEach(stop::add);
        }
        if (r.reasoning() != null && r.reasoning().thinks()) {
            gen.putObject("thinkingConfig").put("includeThoughts", true).put("thinkingBudget", r.reasoning().budgetOrFromEffort());
        }
        if (r.responseFormat() != null) {
            gen.put("responseMimeType", "application/json");
            if (r.responseFormat().schema() != null) {
                gen.set("responseJsonSchema", r.responseFormat().schema());
            }
        }
        if (!gen.isEmpty()) {
            root.set("generationConfig", gen);
        }
        return Json.bytes(root);
    }

    // ---- answers --------------------------------------------------------------------------------

    @Override
    public StreamDecoder streamDecoder() {
        return new GeminiStreamDecoder();
    }

    @Override
    public StreamEncoder streamEncoder(ChatRequest clientRequest) {
        return new GeminiStreamEncoder(clientRequest);
    }

    @Override
    public byte[] encodeResponse(ChatResponse r, ChatRequest clientRequest) {
        ObjectNode root = Json.object();
        ObjectNode candidate = root.putArray("candidates").addObject();
        ArrayNode parts = candidate.putObject("content").put("role", "model").putArray("parts");
        List<Part> claude = new ArrayList<>();
        for (Part p : r.content()) {
            switch (p) {
                case Part.Text t -> parts.addObject().put("text", t.text());
                case Part.Thinking t -> {
                    parts.addObject().put("text", t.text()).put("thought", true);
                    claude.add(t);
                }
                case Part.RedactedThinking rt -> claude.add(rt);
                case Part.ToolCall c -> {
                    functionCall(parts.addObject(), c.id(), c.name(), c.arguments(), carrierOr(claude, c.signature()));
                    claude.clear();
                }
                default -> { }
            }
        }
        candidate.put("finishReason", finishReason(r.stopReason()));
        candidate.put("index", 0);
        root.set("usageMetadata", usage(r.usage()));
        root.put("modelVersion", clientRequest.model());
        root.put("responseId", r.id());
        return Json.bytes(root);
    }

    /** Claude's thinking before a call rides in the call's thought signature, which Gemini clients send back. */
    static String carrierOr(List<Part> claudeParts, String signature) {
        String carried = CarriedReasoning.sealAll(claudeParts);
        return carried != null ? carried : signature;
    }

    static void functionCall(ObjectNode part, String id, String name, String arguments, String signature) {
        JsonNode args = Json.parseOrString(arguments);
        part.putObject("functionCall").put("id", id).put("name", name).set("args", args.isObject() ? args : Json.object());
        part.put("thoughtSignature", signature != null ? signature : SKIP_SIGNATURE);
    }

    /** A part's thought signature, unless it is the stand-in that vouches for nothing. */
    static String signature(JsonNode part) {
        String sig = Json.text(part, "thoughtSignature");
        return sig == null || sig.isEmpty() || sig.equals(SKIP_SIGNATURE) || CarriedReasoning.carried(sig) ? null : sig;
    }

    static String finishReason(StopReason s) {
        return switch (s) {
            case MAX_TOKENS -> "MAX_TOKENS";
            case REFUSAL -> "SAFETY";
            default -> "STOP";
        };
    }

    static ObjectNode usage(Usage u) {
        ObjectNode usage = Json.object();
        usage.put("promptTokenCount", u.inputTokens());
        usage.put("candidatesTokenCount", u.outputTokens() - u.reasoningTokens());
        usage.put("totalTokenCount", u.totalTokens());
        if (u.cachedInputTokens() > 0) {
            usage.put("cachedContentTokenCount", u.cachedInputTokens());
        }
        if (u.reasoningTokens() > 0) {
            usage.put("thoughtsTokenCount", u.reasoningTokens());
        }
        return usage;
    }

    static Usage usage(JsonNode u) {
        return ProviderUsage.gemini(u);
    }
}
