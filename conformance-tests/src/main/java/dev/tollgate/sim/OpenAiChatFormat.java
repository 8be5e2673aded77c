package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI Chat Completions ({@code /v1/chat/completions}, Azure deployments). */
final class OpenAiChatFormat implements WireFormat {
    static final OpenAiChatFormat INSTANCE = new OpenAiChatFormat();
    private static final String FINGERPRINT = "fp_tollgate_sim";

    private OpenAiChatFormat() {
    }

    @Override
    public Conversation read(JsonNode body, String pathModel) {
        String shell = null;
        JsonNode tools = body.get("tools");
        if (tools != null) {
            for (JsonNode t : tools) {
                JsonNode fn = t.get("function");
                String name = fn == null ? null : Json.text(fn, "name", null);
                if (Answers.isShellTool(name)) {
                    shell = name;
                    break;
                }
            }
        }
        boolean hasResult = false;
        JsonNode last = null;
        JsonNode messages = body.get("messages");
        if (messages != null) {
            for (JsonNode m : messages) {
                if ("tool".equals(Json.text(m, "role", null))) {
                    hasResult = true;
                    last = m.get("content");
                }
            }
        }
        JsonNode opts = body.get("stream_options");
        return new Conversation(
                pathModel != null ? pathModel : Json.text(body, "model", ""),
                body.path("stream").asBoolean(false),
                opts != null && opts.path("include_usage").asBoolean(false),
                InputText.chars(body),
                shell,
                null,
                hasResult,
                hasResult ? InputText.flatten(last) : null,
                null);
    }

    @Override
    public int choices(JsonNode body) {
        return Math.max(1, body.path("n").asInt(1));
    }

    @Override
    public String idPrefix() {
        return "chatcmpl-sim";
    }

    @Override
    public String callIdPrefix() {
        return "call_sim";
    }

    @Override
    public void writeJson(Reply r, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", r.id());
        g.writeStringField("object", "chat.completion");
        g.writeNumberField("created", r.created());
        g.writeStringField("model", r.model());
        g.writeArrayFieldStart("choices");
        for (int i = 0; i < r.choices(); i++) {
            writeChoice(r, g, i);
        }
        g.writeEndArray();
        writeUsage(r, g);
        g.writeStringField("system_fingerprint", FINGERPRINT);
        g.writeEndObject();
    }

    /** One of the n answers (all alike: the simulator is deterministic). */
    private static void writeChoice(Reply r, JsonGenerator g, int index) throws IOException {
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeObjectFieldStart("message");
        g.writeStringField("role", "assistant");
        String finish;
        switch (r.answer()) {
            case Reply.Text t -> {
                g.writeStringField("content", t.text());
                finish = "stop";
            }
            case Reply.ToolCall c -> {
                g.writeNullField("content");
                g.writeArrayFieldStart("tool_calls");
                g.writeStartObject();
                g.writeStringField("id", c.callId());
                g.writeStringField("type", "function");
                g.writeObjectFieldStart("function");
                g.writeStringField("name", c.name());
                g.writeStringField("arguments", c.arguments());
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndArray();
                finish = "tool_calls";
            }
        }
        g.writeNullField("refusal");
        g.writeArrayFieldStart("annotations");
        g.writeEndArray();
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finish);
        g.writeEndObject();
    }

    @Override
    public void writeStream(Reply r, SseWriter sse) throws IOException {
        JsonGenerator g = sse.event(null);
        chunkStart(r, g);
        g.writeObjectFieldStart("delta");
        g.writeStringField("role", "assistant");
        String finish;
        switch (r.answer()) {
            case Reply.Text t -> {
                g.writeStringField("content", "");
                chunkEnd(r, g, null);
                sse.end();
                for (String chunk : t.chunks()) {
                    g = sse.token(null);
                    chunkStart(r, g);
                    g.writeObjectFieldStart("delta");
                    g.writeStringField("content", chunk);
                    chunkEnd(r, g, null);
                    sse.end();
                }
                finish = "stop";
            }
            case Reply.ToolCall c -> {
                g.writeNullField("content");
                chunkEnd(r, g, null);
                sse.end();
                // First the call's id and name, then the arguments in fragments, as OpenAI streams them.
                g = sse.event(null);
                chunkStart(r, g);
                g.writeObjectFieldStart("delta");
                g.writeArrayFieldStart("tool_calls");
                g.writeStartObject();
                g.writeNumberField("index", 0);
                g.writeStringField("id", c.callId());
                g.writeStringField("type", "function");
                g.writeObjectFieldStart("function");
                g.writeStringField("name", c.name());
                g.writeStringField("arguments", "");
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndArray();
                chunkEnd(r, g, null);
                sse.end();
                for (String fragment : c.argumentChunks()) {
                    g = sse.token(null);
                    chunkStart(r, g);
                    g.writeObjectFieldStart("delta");
                    g.writeArrayFieldStart("tool_calls");
                    g.writeStartObject();
                    g.writeNumberField("index", 0);
                    g.writeObjectFieldStart("function");
                    g.writeStringField("arguments", fragment);
                    g.writeEndObject();
                    g.writeEndObject();
                    g.writeEndArray();
                    chunkEnd(r, g, null);
                    sse.end();
                }
                finish = "tool_calls";
            }
        }
        g = sse.event(null);
        chunkStart(r, g);
        g.writeObjectFieldStart("delta");
        chunkEnd(r, g, finish);
        sse.end();
        if (r.includeUsage()) {
            g = sse.event(null);
            g.writeStartObject();
            chunkHeader(r, g);
            g.writeArrayFieldStart("choices");
            g.writeEndArray();
            writeUsage(r, g);
            g.writeEndObject();
            sse.end();
        }
        sse.done();
    }

    private static void chunkHeader(Reply r, JsonGenerator g) throws IOException {
        g.writeStringField("id", r.id());
        g.writeStringField("object", "chat.completion.chunk");
        g.writeNumberField("created", r.created());
        g.writeStringField("model", r.model());
        g.writeStringField("system_fingerprint", FINGERPRINT);
    }

    /** Opens a chunk up to its single choice (the caller then writes the delta object's fields). */
    private static void chunkStart(Reply r, JsonGenerator g) throws IOException {
        g.writeStartObject();
        chunkHeader(r, g);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
    }

    /** Closes the delta and the chunk; with include_usage every chunk but the last carries usage: null. */
    private static void chunkEnd(Reply r, JsonGenerator g, String finishReason) throws IOException {
        g.writeEndObject();
        g.writeNullField("logprobs");
        if (finishReason == null) {
            g.writeNullField("finish_reason");
        } else {
            g.writeStringField("finish_reason", finishReason);
        }
        g.writeEndObject();
        g.writeEndArray();
        if (r.includeUsage()) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
    }

    private static void writeUsage(Reply r, JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", r.inputTokens());
        g.writeNumberField("completion_tokens", r.outputTokens());
        g.writeNumberField("total_tokens", r.totalTokens());
        g.writeObjectFieldStart("prompt_tokens_details");
        g.writeNumberField("cached_tokens", r.cache().read());
        g.writeEndObject();
        g.writeObjectFieldStart("completion_tokens_details");
        g.writeNumberField("reasoning_tokens", 0);
        g.writeEndObject();
        g.writeEndObject();
    }

    @Override
    public void writeError(int status, String message, JsonGenerator g) throws IOException {
        writeOpenAiError(status, message, g);
    }

    /** {"error":{"message","type","param","code"}}, shared with the Responses API and embeddings. */
    static void writeOpenAiError(int status, String message, JsonGenerator g) throws IOException {
        String type;
        String code;
        switch (status) {
            case 401 -> {
                type = "invalid_request_error";
                code = "invalid_api_key";
            }
            case 404 -> {
                type = "invalid_request_error";
                code = "model_not_found";
            }
            case 429 -> {
                type = "rate_limit_error";
                code = "rate_limit_exceeded";
            }
            default -> {
                type = status >= 500 ? "server_error" : "invalid_request_error";
                code = status >= 500 ? "server_error" : "invalid_request";
            }
        }
        g.writeStartObject();
        g.writeObjectFieldStart("error");
        g.writeStringField("message", message);
        g.writeStringField("type", type);
        g.writeNullField("param");
        g.writeStringField("code", code);
        g.writeEndObject();
        g.writeEndObject();
    }
}
