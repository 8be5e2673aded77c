package dev.tollgate.providers.ir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;

/**
 * A tool the model may call. {@code parameters} is its JSON Schema, kept as the client sent it
 * ({@code $schema} keys included). A {@code custom} tool (Codex's apply_patch) takes free-form text:
 * formats without such tools see a function with one string argument {@code input}.
 *
 * @param namespace the Responses namespace it was offered in (Codex "responses-lite"), or null
 */
public record Tool(String name, String namespace, String description, JsonNode parameters, boolean custom) {

    /** The schema formats without free-form tools are given: one string, {@code input}. */
    public static ObjectNode freeformSchema(String grammarHint) {
        ObjectNode schema = JsonBody.MAPPER.createObjectNode();
        schema.put("type", "object");
        ObjectNode input = schema.putObject("properties").putObject("input");
        input.put("type", "string");
        input.put("description", grammarHint == null || grammarHint.isEmpty()
                ? "The tool's whole input, as free-form text."
                : "The tool's whole input, as free-form text in this grammar:\n" + grammarHint);
        schema.putArray("required").add("input");
        return schema;
    }
}
