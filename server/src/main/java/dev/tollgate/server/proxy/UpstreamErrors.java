package dev.tollgate.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import java.nio.charset.StandardCharsets;

/** The message inside a provider's error body, whatever its dialect. */
final class UpstreamErrors {

    private UpstreamErrors() {
    }

    /** Bedrock names the error in a header ({@code ValidationException:<namespace>}) and puts only the message in the body. */
    static String message(byte[] body, java.util.Optional<String> awsErrorType) {
        String message = message(body);
        return awsErrorType.map(t -> t.split(":", 2)[0] + ": " + message).orElse(message);
    }

    static String message(byte[] body) {
        JsonNode root = Json.parse(body);
        // OpenAI and Anthropic: {"error":{"message"}}; Google: {"error":{"message","status"}}; some: [{...}]
        JsonNode error = root.isArray() ? root.path(0).path("error") : root.path("error");
        if (error.path("message").isTextual()) {
            return error.path("message").asText();
        }
        if (root.path("message").isTextual()) {
            return root.path("message").asText();
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }
}
