package dev.tollgate.sim;

import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Counts the characters that make up the input tokens, with one rule for every format: the
 * lengths (UTF-16 units) of all string values held under a key named text, content, output,
 * input, instructions or system (array elements count as held by the array's key), found under the
 * request's top-level messages, input, instructions, system, contents and systemInstruction.
 * Tool definitions, tool-call arguments, ids, roles and names do not count.
 */
final class InputText {
    private static final Set<String> TEXT_KEYS = Set.of("text", "content", "output", "input", "instructions", "system");
    private static final String[] ROOT_KEYS = {"messages", "input", "instructions", "system", "contents", "systemInstruction"};

    private InputText() {
    }

    static int chars(JsonNode root) {
        int n = 0;
        for (String key : ROOT_KEYS) {
            JsonNode v = root.get(key);
            if (v != null) {
                n += count(v, true);
            }
        }
        return n;
    }

    /** The characters of one block of a request (a content block, a message, an input item) by the same rule. */
    static int blockChars(JsonNode block) {
        return count(block, true);
    }

    private static int count(JsonNode node, boolean textual) {
        if (node.isTextual()) {
            return textual ? node.textValue().length() : 0;
        }
        int n = 0;
        if (node.isArray()) {
            for (JsonNode el : node) {
                n += count(el, textual);
            }
        } else if (node.isObject()) {
            // Codex "responses-lite" puts tool definitions in the input; they are not conversation text.
            if ("additional_tools".equals(Json.text(node, "type", null))) {
                return 0;
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                n += count(e.getValue(), TEXT_KEYS.contains(e.getKey()));
            }
        }
        return n;
    }

    /**
     * The readable text of a tool result, in any of the formats' shapes: a string, a list of
     * text parts, or an object with output/content/result (else its JSON).
     */
    static String flatten(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "";
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode el : node) {
                String t = el.isTextual() ? el.textValue() : Json.text(el, "text", null);
                if (t != null) {
                    sb.append(t);
                }
            }
            return sb.toString();
        }
        for (String key : new String[] {"text", "output", "content", "result"}) {
            JsonNode v = node.get(key);
            if (v != null) {
                return flatten(v);
            }
        }
        return node.toString();
    }
}
