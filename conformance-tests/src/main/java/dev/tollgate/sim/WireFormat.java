package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** One provider wire format: how to read a request, and how to write answers and errors in its dialect. */
sealed interface WireFormat permits OpenAiChatFormat, OpenAiResponsesFormat, AnthropicFormat, GeminiFormat,
        BedrockFormat {

    /**
     * Summarises a request body.
     *
     * @param body      the parsed body
     * @param pathModel model named by the URL (Azure deployment, Gemini), or null
     */
    Conversation read(JsonNode body, String pathModel);

    /** How many answers the request asks for (chat's {@code n}, Gemini's {@code candidateCount}); 1 where the format has no such field. */
    default int choices(JsonNode body) {
        return 1;
    }

    /** Prefix of response ids, e.g. {@code chatcmpl-}. */
    String idPrefix();

    /** Prefix of tool call ids, e.g. {@code call_}. */
    String callIdPrefix();

    /** The whole answer as one JSON document. */
    void writeJson(Reply r, JsonGenerator g) throws IOException;

    /** The answer as the format's event stream. */
    void writeStream(Reply r, SseWriter sse) throws IOException;

    /** An error body in the provider's own shape. */
    void writeError(int status, String message, JsonGenerator g) throws IOException;

    /** Short error names per status, shared by the dialects that use them. */
    static String errorKind(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }
}
