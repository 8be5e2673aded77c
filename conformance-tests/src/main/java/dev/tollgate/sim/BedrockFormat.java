package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Amazon Bedrock's Converse ({@code POST /model/{modelId}/converse}) and ConverseStream
 * ({@code .../converse-stream}, AWS event-stream frames). Requests must carry a good SigV4 signature
 * (see {@link SigV4Check}); the model is in the path.
 */
final class BedrockFormat implements WireFormat {
    static final BedrockFormat INSTANCE = new BedrockFormat();

    private BedrockFormat() {
    }

    /** Streaming is decided by the path; the caller sets it. */
    @Override
    public Conversation read(JsonNode body, String pathModel) {
        String shell = null;
        for (JsonNode t : body.path("toolConfig").path("tools")) {
            String name = Json.text(t.path("toolSpec"), "name", null);
            if (Answers.isShellTool(name)) {
                shell = name;
                break;
            }
        }
        boolean hasResult = false;
        JsonNode last = null;
        for (JsonNode m : body.path("messages")) {
            for (JsonNode block : m.path("content")) {
                JsonNode result = block.get("toolResult");
                if (result != null) {
                    hasResult = true;
                    last = result.get("content");
                }
            }
        }
        return new Conversation(pathModel == null ? "" : pathModel, false, false, InputText.chars(body), shell, null,
                hasResult, hasResult ? InputText.flatten(last) : null, null);
    }

    @Override
    public String idPrefix() {
        return "bdrk_sim";
    }

    @Override
    public String callIdPrefix() {
        return "tooluse_sim";
    }

    @Override
    public void writeJson(Reply r, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("output");
        g.writeObjectFieldStart("message");
        g.writeStringField("role", "assistant");
        g.writeArrayFieldStart("content");
        g.writeStartObject();
        switch (r.answer()) {
            case Reply.Text t -> g.writeStringField("text", t.text());
            case Reply.ToolCall c -> {
                g.writeObjectFieldStart("toolUse");
                g.writeStringField("toolUseId", c.callId());
                g.writeStringField("name", c.name());
                g.writeFieldName("input");
                g.writeRawValue(c.arguments());
                g.writeEndObject();
            }
        }
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
        g.writeStringField("stopReason", stopReason(r));
        usage(r, g);
        g.writeObjectFieldStart("metrics");
        g.writeNumberField("latencyMs", 0);
        g.writeEndObject();
        g.writeEndObject();
    }

    private static String stopReason(Reply r) {
        return r.answer() instanceof Reply.ToolCall ? "tool_use" : "end_turn";
    }

    private static void usage(Reply r, JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("inputTokens", r.uncachedInputTokens());
        g.writeNumberField("outputTokens", r.outputTokens());
        g.writeNumberField("totalTokens", r.totalTokens());
        if (r.cache().read() > 0 || r.cache().write() > 0) {
            g.writeNumberField("cacheReadInputTokens", r.cache().read());
            g.writeNumberField("cacheWriteInputTokens", r.cache().write());
            g.writeArrayFieldStart("cacheDetails"); // writes by TTL, 1h first
            for (String ttl : new String[] {"1h", "5m"}) {
                int n = ttl.equals("1h") ? r.cache().write1h() : r.cache().write5m();
                if (n > 0) {
                    g.writeStartObject();
                    g.writeNumberField("inputTokens", n);
                    g.writeStringField("ttl", ttl);
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    /** messageStart, [contentBlockStart for a tool call], deltas, contentBlockStop, messageStop, metadata. */
    @Override
    public void writeStream(Reply r, SseWriter out) throws IOException {
        JsonGenerator g = out.event("messageStart");
        g.writeStartObject();
        g.writeStringField("role", "assistant");
        g.writeEndObject();
        out.end();
        switch (r.answer()) {
            case Reply.Text t -> {
                for (String chunk : t.chunks()) {
                    g = delta(out);
                    g.writeStringField("text", chunk);
                    endDelta(g, out);
                }
            }
            case Reply.ToolCall c -> {
                g = out.event("contentBlockStart");
                g.writeStartObject();
                g.writeNumberField("contentBlockIndex", 0);
                g.writeObjectFieldStart("start");
                g.writeObjectFieldStart("toolUse");
                g.writeStringField("toolUseId", c.callId());
                g.writeStringField("name", c.name());
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndObject();
                out.end();
                for (String fragment : c.argumentChunks()) {
                    g = delta(out);
                    g.writeObjectFieldStart("toolUse");
                    g.writeStringField("input", fragment);
                    g.writeEndObject();
                    endDelta(g, out);
                }
            }
        }
        g = out.event("contentBlockStop");
        g.writeStartObject();
        g.writeNumberField("contentBlockIndex", 0);
        g.writeEndObject();
        out.end();
        g = out.event("messageStop");
        g.writeStartObject();
        g.writeStringField("stopReason", stopReason(r));
        g.writeEndObject();
        out.end();
        g = out.event("metadata");
        g.writeStartObject();
        usage(r, g);
        g.writeObjectFieldStart("metrics");
        g.writeNumberField("latencyMs", 0);
        g.writeEndObject();
        g.writeEndObject();
        out.end();
    }

    private static JsonGenerator delta(SseWriter out) throws IOException {
        JsonGenerator g = out.token("contentBlockDelta");
        g.writeStartObject();
        g.writeNumberField("contentBlockIndex", 0);
        g.writeObjectFieldStart("delta");
        return g;
    }

    private static void endDelta(JsonGenerator g, SseWriter out) throws IOException {
        g.writeEndObject();
        g.writeEndObject();
        out.end();
    }

    /** Bedrock's error body is {"message": ...}; its type travels in x-amzn-ErrorType ({@link #errorType}). */
    @Override
    public void writeError(int status, String message, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("message", message);
        g.writeEndObject();
    }

    static String errorType(int status) {
        return switch (status) {
            case 400 -> "ValidationException";
            case 403 -> "AccessDeniedException";
            case 404 -> "ResourceNotFoundException";
            case 408 -> "ModelTimeoutException";
            case 424 -> "ModelErrorException";
            case 429 -> "ThrottlingException";
            case 503 -> "ServiceUnavailableException";
            default -> status >= 500 ? "InternalServerException" : "ValidationException";
        };
    }
}
