package dev.tollgate.providers.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.anthropic.CacheBreakpoints;
import dev.tollgate.providers.ir.Json;

/**
 * Bedrock's prompt-cache checkpoints for Claude models: a {@code cachePoint} block after the content
 * it ends, in the same places and order of worth as {@link CacheBreakpoints} on Anthropic's own API
 * (the previous turn's end, this turn's end, the system prompt, the tools), at most
 * {@value CacheBreakpoints#MAX} in a request.
 */
final class CachePoints {

    private CachePoints() {
    }

    static byte[] place(byte[] body, String ttl) {
        JsonNode root = Json.parse(body);
        if (!(root instanceof ObjectNode object) || !place(object, ttl)) {
            return body;
        }
        return Json.bytes(object);
    }

    /** @return whether a checkpoint was added */
    static boolean place(ObjectNode root, String ttl) {
        JsonNode tools = root.path("toolConfig").get("tools");
        JsonNode system = root.get("system");
        JsonNode messages = root.get("messages");
        int free = CacheBreakpoints.MAX - count(tools) - count(system) - count(messages);
        ArrayNode[] chosen = new ArrayNode[CacheBreakpoints.MAX];
        int n = 0;
        if (messages instanceof ArrayNode list && !list.isEmpty()) {
            int last = last(list, "user", list.size() - 1);
            int previous = last < 0 ? -1 : last(list, "user", last(list, "assistant", last - 1));
            n = add(chosen, n, content(list, previous));
            n = add(chosen, n, content(list, last));
        }
        n = add(chosen, n, system instanceof ArrayNode s ? s : null);
        n = add(chosen, n, tools instanceof ArrayNode t ? t : null);
        int placed = 0;
        for (int i = 0; i < n && placed < free; i++) {
            ObjectNode point = chosen[i].addObject().putObject("cachePoint").put("type", "default");
            if (!"5m".equals(ttl)) {
                point.put("ttl", ttl);
            }
            placed++;
        }
        return placed > 0;
    }

    /** A list that has content and does not already end in a checkpoint. */
    private static int add(ArrayNode[] chosen, int n, ArrayNode blocks) {
        if (blocks == null || blocks.isEmpty() || blocks.get(blocks.size() - 1).has("cachePoint")) {
            return n;
        }
        chosen[n] = blocks;
        return n + 1;
    }

    private static ArrayNode content(ArrayNode messages, int index) {
        return index >= 0 && messages.get(index).get("content") instanceof ArrayNode blocks ? blocks : null;
    }

    private static int last(ArrayNode messages, String role, int from) {
        for (int i = from; i >= 0; i--) {
            if (role.equals(messages.get(i).path("role").asText())) {
                return i;
            }
        }
        return -1;
    }

    private static int count(JsonNode node) {
        if (node == null) {
            return 0;
        }
        int n = node.isObject() && node.has("cachePoint") ? 1 : 0;
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                n += count(child);
            }
        }
        return n;
    }
}
