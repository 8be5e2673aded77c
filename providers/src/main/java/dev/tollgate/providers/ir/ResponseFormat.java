package dev.tollgate.providers.ir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The client wants JSON back: any JSON object when {@code schema} is null, else a value fitting the
 * schema (Gemini CLI's router call, Codex's --output-schema).
 */
public record ResponseFormat(String name, JsonNode schema) {
}
