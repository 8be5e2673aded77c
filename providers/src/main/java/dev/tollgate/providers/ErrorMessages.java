package dev.tollgate.providers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import java.nio.charset.StandardCharsets;

/** The message inside a provider's error body, whatever its dialect. */
public final class ErrorMessages {

    private static final int MAX = 500;

    private ErrorMessages() {
    }

    public static String of(byte[] body) {
        JsonNode root = Json.parse(body);
        // OpenAI and Anthropic: {"error":{"message"}}; Google: {"error":{"message","status"}}; some: [{...}]
        JsonNode error = root.isArray() ? root.path(0).path("error") : root.path("error");
        if (error.path("message").isTextual()) {
            return cut(error.path("message").asText());
        }
        if (root.path("message").isTextual()) {
            return cut(root.path("message").asText());
        }
        return cut(new String(body, StandardCharsets.UTF_8).strip());
    }

    private static String cut(String text) {
        return text.length() > MAX ? text.substring(0, MAX) + "..." : text;
    }
}
