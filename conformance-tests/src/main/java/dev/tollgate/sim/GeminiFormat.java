package dev.tollgate.sim;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** Gemini generateContent / streamGenerateContent ({@code /v1beta/models/{model}:method}), as Gemini CLI uses it. */
final class GeminiFormat implements WireFormat {
    static final GeminiFormat INSTANCE = new GeminiFormat();

    private GeminiFormat() {
    }

    /** Streaming is decided by the method name, so this always reads stream=false; the caller sets it. */
    @Override
    public Conversation read(JsonNode body, String pathModel) {
        // countTokens may wrap a whole request.
        JsonNode wrapped = body.get("generateContentRequest");
        if (wrapped != null && wrapped.isObject()) {
            body = wrapped;
        }
        String shell = null;
        JsonNode tools = body.get("tools");
        if (tools != null) {
            outer:
            for (JsonNode t : tools) {
                JsonNode decls = t.get("functionDeclarations");
                if (decls != null) {
                    for (JsonNode d : decls) {
                        String name = Json.text(d, "name", null);
                        if (Answers.isShellTool(name)) {
                            shell = name;
                            break outer;
                        }
                    }
                }
            }
        }
        boolean hasResult = false;
        JsonNode last = null;
        JsonNode contents = body.get("contents");
        if (contents != null) {
            for (JsonNode c : contents) {
                JsonNode parts = c.get("parts");
                if (parts != null) {
                    for (JsonNode p : parts) {
                        JsonNode fr = p.get("functionResponse");
                        if (fr != null) {
                            hasResult = true;
                            last = fr.get("response");
                        }
                    }
                }
            }
        }
        JsonNode schema = null;
        JsonNode config = body.get("generationConfig");
        if (config != null && "application/json".equals(Json.text(config, "responseMimeType", null))) {
            schema = config.has("responseJsonSchema") ? config.get("responseJsonSchema")
                    : config.has("responseSchema") ? config.get("responseSchema")
                    : Json.MAPPER.createObjectNode();
        }
        return new Conversation(
                pathModel == null ? "" : pathModel,
                false,
                false,
                InputText.chars(body),
                shell,
                null,
                hasResult,
                hasResult ? InputText.flatten(last) : null,
                schema);
    }

    @Override
    public int choices(JsonNode body) {
        return Math.max(1, body.path("generationConfig").path("candidateCount").asInt(1));
    }

    @Override
    public String idPrefix() {
        return "gem_sim";
    }

    @Override
    public String callIdPrefix() {
        return "call_sim";
    }

    @Override
    public void writeJson(Reply r, JsonGenerator g) throws IOException {
        switch (r.answer()) {
            case Reply.Text t -> writeChunk(r, g, t.text(), true, t.outputTokens());
            case Reply.ToolCall c -> writeCallChunk(r, g, c);
        }
    }

    @Override
    public void writeStream(Reply r, SseWriter sse) throws IOException {
        switch (r.answer()) {
            case Reply.Text t -> {
                List<String> chunks = t.chunks();
                if (chunks.isEmpty()) {
                    writeChunk(r, sse.token(null), "", true, 0);
                    sse.end();
                }
                for (int i = 0; i < chunks.size(); i++) {
                    // Gemini's usage is cumulative in every chunk; finishReason (mandatory for Gemini CLI) on the last.
                    writeChunk(r, sse.token(null), chunks.get(i), i == chunks.size() - 1, i + 1);
                    sse.end();
                }
            }
            case Reply.ToolCall c -> {
                writeCallChunk(r, sse.token(null), c);
                sse.end();
            }
        }
    }

    private static void writeChunk(Reply r, JsonGenerator g, String text, boolean last, int outputSoFar)
            throws IOException {
        candidateStart(g);
        g.writeStartObject();
        g.writeStringField("text", text);
        g.writeEndObject();
        candidateEnd(r, g, last, outputSoFar);
    }

    private static void writeCallChunk(Reply r, JsonGenerator g, Reply.ToolCall c) throws IOException {
        candidateStart(g);
        g.writeStartObject();
        g.writeObjectFieldStart("functionCall");
        g.writeStringField("name", c.name());
        g.writeFieldName("args");
        g.writeRawValue(c.arguments());
        g.writeStringField("id", c.callId());
        g.writeEndObject();
        if (signs(r.model())) {
            g.writeStringField("thoughtSignature", signature(c.callId()));
        }
        g.writeEndObject();
        candidateEnd(r, g, true, c.outputTokens());
    }

    /** Google's documented stand-in for a call whose signature is unknown (history from another model). */
    static final String SKIP_SIGNATURE = "skip_thought_signature_validator";

    /** Gemini 3 models sign their function calls and want the signature back with the history. */
    static boolean signs(String model) {
        return model != null && model.startsWith("gemini-3");
    }

    /** The simulator's signature of one call: opaque to clients, checkable here. */
    static String signature(String callId) {
        return java.util.Base64.getEncoder().encodeToString(("sim-thought:" + callId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * As Gemini 3 answers a history whose function calls lost their thought signatures: the first
     * functionCall part of each model turn must carry one (the stand-in passes, as Google documents),
     * and it must be the one issued for that call. Null when the history is in order.
     */
    static String signatureProblem(JsonNode body, String model) {
        if (!signs(model)) {
            return null;
        }
        int position = 0;
        for (JsonNode c : body.path("contents")) {
            position++;
            if (!"model".equals(c.path("role").asText())) {
                continue;
            }
            for (JsonNode p : c.path("parts")) {
                if (!p.has("functionCall")) {
                    continue;
                }
                String name = p.path("functionCall").path("name").asText();
                String sig = p.path("thoughtSignature").asText(null);
                if (sig == null || sig.isEmpty()) {
                    return "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
                            + "correctly. Additional data, function call `" + name + "` , position " + position
                            + ". Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.";
                }
                String id = p.path("functionCall").path("id").asText(null);
                boolean issued = id == null ? sig.startsWith(signature("").substring(0, 16)) : sig.equals(signature(id));
                if (!sig.equals(SKIP_SIGNATURE) && !issued) {
                    return "Corrupted thought signature.";
                }
                break; // only a turn's first call is signed
            }
        }
        return null;
    }

    /** Opens {"candidates":[{"content":{"role":"model","parts":[ ... */
    private static void candidateStart(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("candidates");
        g.writeStartObject();
        g.writeObjectFieldStart("content");
        g.writeStringField("role", "model");
        g.writeArrayFieldStart("parts");
    }

    /** @param outputSoFar one candidate's tokens so far; usage counts every candidate asked for */
    private static void candidateEnd(Reply r, JsonGenerator g, boolean last, int oneCandidateSoFar) throws IOException {
        int outputSoFar = oneCandidateSoFar * r.choices();
        g.writeEndArray();
        g.writeEndObject();
        if (last) {
            g.writeStringField("finishReason", "STOP");
            if (r.searches() > 0) {
                // Google lists the queries it ran; a list may repeat one or hold an empty one, neither billed.
                g.writeObjectFieldStart("groundingMetadata");
                g.writeArrayFieldStart("webSearchQueries");
                for (int i = 1; i <= r.searches(); i++) {
                    g.writeString("sim query " + i);
                }
                g.writeString("");
                g.writeString("sim query 1");
                g.writeEndArray();
                g.writeEndObject();
            }
        }
        g.writeNumberField("index", 0);
        g.writeEndObject();
        g.writeEndArray();
        g.writeObjectFieldStart("usageMetadata");
        g.writeNumberField("promptTokenCount", r.inputTokens());
        if (r.cache().read() > 0) {
            g.writeNumberField("cachedContentTokenCount", r.cache().read()); // included in promptTokenCount
        }
        g.writeNumberField("candidatesTokenCount", outputSoFar);
        g.writeNumberField("totalTokenCount", r.inputTokens() + outputSoFar);
        g.writeEndObject();
        g.writeStringField("modelVersion", r.model());
        g.writeStringField("responseId", r.id());
        g.writeEndObject();
    }

    @Override
    public void writeError(int status, String message, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("error");
        g.writeNumberField("code", status);
        g.writeStringField("message", message);
        g.writeStringField("status", switch (status) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 409 -> "ABORTED";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 499 -> "CANCELLED";
            case 501 -> "UNIMPLEMENTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
        });
        g.writeEndObject();
        g.writeEndObject();
    }

    /** {@code :countTokens}. */
    void writeTokenCount(int tokens, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeNumberField("totalTokens", tokens);
        g.writeEndObject();
    }
}
