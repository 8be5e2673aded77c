package dev.tollgate.providers.openai;

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
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.ir.ToolChoice;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** OpenAI's Responses API ({@code POST /v1/responses}), as Codex speaks it. */
public final class ResponsesCodec implements WireCodec {

    public static final ResponsesCodec INSTANCE = new ResponsesCodec();

    private ResponsesCodec() {
    }

    // ---- requests -------------------------------------------------------------------------------

    @Override
    public ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException {
        List<Message> messages = new ArrayList<>();
        List<Tool> tools = new ArrayList<>();
        body.string("instructions").ifPresent(i -> messages.add(new Message(Role.SYSTEM, List.of(new Part.Text(i)))));
        JsonNode input = body.node("input");
        Map<String, String> callSignatures = new HashMap<>();
        if (input != null && input.isTextual()) {
            messages.add(new Message(Role.USER, List.of(new Part.Text(input.asText()))));
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                Message m = item(item, tools, callSignatures);
                if (m != null) {
                    messages.add(m);
                }
            }
        }

        JsonNode toolsNode = body.node("tools");
        if (toolsNode != null) {
            tools(toolsNode, null, tools);
        }
        // Namespaces may repeat a name; other formats know tools by name alone, and refuse duplicates.
        Set<String> seen = new HashSet<>();
        tools.removeIf(t -> !seen.add(t.name()));
        JsonNode reasoning = body.node("reasoning");
        JsonNode tc = body.node("tool_choice");
        // A compaction asks for a summary, not an action (see Compaction).
        ToolChoice choice = Compaction.triggered(input) ? new ToolChoice(ToolChoice.Mode.NONE, null) : toolChoice(tc);
        return new ChatRequest(body.string("model").orElse(""), Message.merged(callSignatures.isEmpty() ? messages : signed(messages, callSignatures)),
                tools, choice,
                body.bool("parallel_tool_calls").orElse(null), Json.asInt(body.node("max_output_tokens")),
                Json.asDouble(body.node("temperature")), Json.asDouble(body.node("top_p")), List.of(),
                reasoning != null && reasoning.hasNonNull("effort") ? new Reasoning(reasoning.get("effort").asText(), null) : null,
                body.bool("stream").orElse(false), body.node("text") == null ? null : responseFormat(body.node("text").path("format")));
    }

    /** Responses' text.format and chat's response_format.json_schema differ only in nesting. */
    static ResponseFormat responseFormat(JsonNode format) {
        return switch (format.path("type").asText()) {
            case "json_object" -> new ResponseFormat("response", null);
            case "json_schema" -> {
                JsonNode spec = format.has("json_schema") ? format.get("json_schema") : format;
                yield new ResponseFormat(spec.path("name").asText("response"), spec.get("schema"));
            }
            default -> null;
        };
    }

    static ObjectNode formatNode(ResponseFormat f) {
        if (f.schema() == null) {
            return Json.object().put("type", "json_object");
        }
        ObjectNode node = Json.object().put("type", "json_schema").put("name", f.name()).put("strict", false);
        node.set("schema", f.schema());
        return node;
    }

    static ToolChoice toolChoice(JsonNode tc) {
        if (tc == null || tc.isNull()) {
            return null;
        }
        if (tc.isTextual()) {
            return switch (tc.asText()) {
                case "none" -> new ToolChoice(ToolChoice.Mode.NONE, null);
                case "required" -> new ToolChoice(ToolChoice.Mode.REQUIRED, null);
                default -> ToolChoice.AUTO;
            };
        }
        // Responses: {"type":"function","name":...}; chat: {"type":"function","function":{"name":...}}
        String name = tc.has("name") ? tc.path("name").asText() : tc.path("function").path("name").asText(null);
        return name == null ? ToolChoice.AUTO : new ToolChoice(ToolChoice.Mode.TOOL, name);
    }

    /** Function, custom and namespace tools; hosted tools (web_search, tool_search) only OpenAI can run. */
    private static void tools(JsonNode list, String namespace, List<Tool> out) {
        for (JsonNode t : list) {
            switch (t.path("type").asText()) {
                case "function" -> out.add(new Tool(t.path("name").asText(), namespace, Json.text(t, "description"), t.get("parameters"), false));
                case "custom" -> {
                    JsonNode format = t.path("format");
                    String grammar = format.has("definition")
                            ? format.path("syntax").asText("grammar") + " grammar:\n" + format.path("definition").asText() : null;
                    out.add(new Tool(t.path("name").asText(), namespace, Json.text(t, "description"), Tool.freeformSchema(grammar), true));
                }
                case "namespace" -> tools(t.path("tools"), t.path("name").asText(null), out);
                default -> { }
            }
        }
    }

    /** Gemini's thought signatures, carried in reasoning items, back on the calls they belong to. */
    static List<Message> signed(List<Message> messages, Map<String, String> callSignatures) {
        List<Message> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            List<Part> parts = new ArrayList<>(m.parts().size());
            for (Part p : m.parts()) {
                parts.add(p instanceof Part.ToolCall c && c.signature() == null && callSignatures.containsKey(c.id())
                        ? new Part.ToolCall(c.id(), c.name(), c.arguments(), callSignatures.get(c.id())) : p);
            }
            out.add(new Message(m.role(), parts));
        }
        return out;
    }

    private static Message item(JsonNode item, List<Tool> tools, Map<String, String> callSignatures) {
        String type = item.path("type").asText(item.has("role") ? "message" : "");
        return switch (type) {
            case "message" -> {
                Role role = switch (item.path("role").asText()) {
                    case "assistant" -> Role.ASSISTANT;
                    case "system", "developer" -> Role.SYSTEM;
                    default -> Role.USER;
                };
                yield new Message(role, content(item.path("content")));
            }
            case "function_call" -> new Message(Role.ASSISTANT, List.of(
                    new Part.ToolCall(item.path("call_id").asText(), item.path("name").asText(), item.path("arguments").asText())));
            case "custom_tool_call" -> new Message(Role.ASSISTANT, List.of(new Part.ToolCall(item.path("call_id").asText(),
                    item.path("name").asText(), Json.object().put("input", item.path("input").asText()).toString())));
            case "function_call_output", "custom_tool_call_output" -> new Message(Role.USER, List.of(
                    new Part.ToolResult(item.path("call_id").asText(), content(item.path("output")), false)));
            case "reasoning" -> {
                StringBuilder text = new StringBuilder();
                for (JsonNode s : item.path("summary")) {
                    text.append(text.isEmpty() ? "" : "\n\n").append(s.path("text").asText());
                }
                String enc = Json.text(item, "encrypted_content");
                if (!CarriedReasoning.carried(enc)) {
                    yield new Message(Role.ASSISTANT, List.of(new Part.Thinking(text.toString(), null, enc)));
                }
                // Another provider's reasoning the gateway carried through this client: restored exactly.
                yield switch (CarriedReasoning.open(enc, text.toString())) {
                    case Part p -> new Message(Role.ASSISTANT, List.of(p));
                    case CarriedReasoning.CallSignature cs -> {
                        callSignatures.put(cs.callId(), cs.signature());
                        yield null;
                    }
                    case null, default -> new Message(Role.ASSISTANT, List.of(new Part.Thinking(text.toString(), null, null)));
                };
            }
            case "compaction_trigger" -> new Message(Role.USER, List.of(new Part.Text(Compaction.PROMPT)));
            // Opened when this gateway sealed it; another server's (OpenAI's) cannot be read here and is dropped.
            case "compaction", "compaction_summary" -> Compaction.open(Json.text(item, "encrypted_content"))
                    .map(summary -> new Message(Role.USER, List.<Part>of(new Part.Text(Compaction.RESUMED + summary)))).orElse(null);
            case "additional_tools" -> {
                // Codex "responses-lite": the tools travel as an input item.
                tools(item.path("tools"), null, tools);
                yield null;
            }
            default -> null;
        };
    }

    private static List<Part> content(JsonNode content) {
        List<Part> parts = new ArrayList<>();
        if (content.isTextual()) {
            parts.add(new Part.Text(content.asText()));
            return parts;
        }
        for (JsonNode p : content) {
            switch (p.path("type").asText()) {
                case "input_text", "output_text", "text" -> parts.add(new Part.Text(p.path("text").asText()));
                case "refusal" -> parts.add(new Part.Text(p.path("refusal").asText()));
                case "input_image" -> {
                    String url = p.path("image_url").isTextual() ? p.path("image_url").asText() : p.path("image_url").path("url").asText();
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
        ArrayNode input = root.putArray("input");
        for (Message m : r.messages()) {
            ArrayNode content = Json.object().arrayNode();
            String role = switch (m.role()) {
                case SYSTEM -> "developer";
                case USER -> "user";
                case ASSISTANT -> "assistant";
            };
            for (Part p : m.parts()) {
                switch (p) {
                    case Part.Text t -> content.addObject().put("type", m.role() == Role.ASSISTANT ? "output_text" : "input_text").put("text", t.text());
                    case Part.Image i -> content.addObject().put("type", "input_image").put("image_url", imageUrl(i));
                    case Part.ToolCall c -> {
                        flush(input, role, content);
                        input.addObject().put("type", "function_call").put("call_id", c.id()).put("name", c.name()).put("arguments", c.arguments());
                    }
                    case Part.ToolResult tr -> {
                        flush(input, role, content);
                        input.addObject().put("type", "function_call_output").put("call_id", tr.callId()).put("output", resultText(tr));
                    }
                    case Part.Thinking t -> {
                        // OpenAI's encrypted reasoning goes back to OpenAI; other formats' reasoning cannot.
                        if (t.encrypted() != null) {
                            flush(input, role, content);
                            ObjectNode rs = input.addObject().put("type", "reasoning");
                            rs.putArray("summary").addObject().put("type", "summary_text").put("text", t.text());
                            rs.put("encrypted_content", t.encrypted());
                        }
                    }
                    case Part.RedactedThinking rt -> { }
                }
            }
            flush(input, role, content);
        }
        if (!r.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (Tool t : r.tools()) {
                ObjectNode fn = tools.addObject().put("type", "function").put("name", t.name());
                if (t.description() != null) {
                    fn.put("description", t.description());
                }
                fn.set("parameters", t.parameters() != null ? t.parameters() : Json.object().put("type", "object"));
                fn.put("strict", false);
            }
        }
        if (r.toolChoice() != null) {
            root.set("tool_choice", switch (r.toolChoice().mode()) {
                case AUTO -> root.textNode("auto");
                case NONE -> root.textNode("none");
                case REQUIRED -> root.textNode("required");
                case TOOL -> Json.object().put("type", "function").put("name", r.toolChoice().name());
            });
        }
        if (r.parallelToolCalls() != null) {
            root.put("parallel_tool_calls", r.parallelToolCalls());
        }
        if (r.maxTokens() != null) {
            root.put("max_output_tokens", r.maxTokens());
        }
        if (r.temperature() != null) {
            root.put("temperature", r.temperature());
        }
        if (r.topP() != null) {
            root.put("top_p", r.topP());
        }
        if (r.reasoning() != null && r.reasoning().effortOrFromBudget() != null) {
            root.putObject("reasoning").put("effort", r.reasoning().effortOrFromBudget()).put("summary", "auto");
            root.putArray("include").add("reasoning.encrypted_content");
        }
        if (r.responseFormat() != null) {
            root.putObject("text").set("format", formatNode(r.responseFormat()));
        }
        // The gateway keeps no conversation state; the client resends history every turn.
        root.put("store", false);
        root.put("stream", true);
        return Json.bytes(root);
    }

    private static void flush(ArrayNode input, String role, ArrayNode content) {
        if (!content.isEmpty()) {
            input.addObject().put("type", "message").put("role", role).set("content", content.deepCopy());
            content.removeAll();
        }
    }

    static String imageUrl(Part.Image i) {
        return i.url() != null ? i.url() : "data:" + i.mediaType() + ";base64," + i.data();
    }

    /** A tool result as the text OpenAI formats carry; an error says so, since they have no error flag. */
    static String resultText(Part.ToolResult tr) {
        String text = Message.text(tr.content());
        return tr.error() ? "Error: " + text : text;
    }

    // ---- answers --------------------------------------------------------------------------------

    @Override
    public StreamDecoder streamDecoder() {
        return new ResponsesStreamDecoder();
    }

    @Override
    public StreamEncoder streamEncoder(ChatRequest clientRequest) {
        return new ResponsesStreamEncoder(clientRequest);
    }

    /** The client's stream: one compaction item when its input ends with a compaction_trigger, else the answer as it comes. */
    public StreamEncoder streamEncoder(ChatRequest clientRequest, JsonBody clientBody) {
        return Compaction.triggered(clientBody.node("input")) ? new CompactionStreamEncoder(clientRequest.model())
                : new ResponsesStreamEncoder(clientRequest);
    }

    /** The whole answer is the {@code response} object the stream's terminal event carries. */
    @Override
    public byte[] encodeResponse(ChatResponse response, ChatRequest clientRequest) {
        ResponsesStreamEncoder encoder = new ResponsesStreamEncoder(clientRequest);
        SseEvent last = null;
        for (StreamEvent e : response.events()) {
            for (SseEvent sse : encoder.encode(e)) {
                last = sse;
            }
        }
        return Json.bytes(Json.parse(last.data()).path("response"));
    }
}
