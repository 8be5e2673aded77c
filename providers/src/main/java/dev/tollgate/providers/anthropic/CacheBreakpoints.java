package dev.tollgate.providers.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Prompt-cache breakpoints on a request translated for Anthropic Messages. Clients of other formats
 * (Codex resends its whole history every turn) carry no {@code cache_control}, so without these
 * Anthropic caches nothing and every turn pays full input price. Placed, in order of worth: the end
 * of the previous turn (what the last request wrote, read now), the end of this turn (written now,
 * read by the next), the system prompt and the tools (stable across conversations). Anthropic takes
 * at most {@value #MAX} breakpoints in a request; any already there count.
 */
public final class CacheBreakpoints {

    /** Anthropic refuses a request with more. */
    public static final int MAX = 4;

    /** A provider setting of the kinds that speak Messages or Converse to Claude. */
    public static final Setting TTL = Setting.choice("prompt-cache-ttl",
            "how long prompt-cache entries the gateway asks for on translated requests live: 5m (default), 1h (writes cost more, "
                    + "reads survive longer pauses) or off (no breakpoints)", "5m", "1h", "off");

    private CacheBreakpoints() {
    }

    /** The provider's lifetime for breakpoints, empty when it turned them off. */
    public static Optional<String> ttl(Provider provider) {
        String value = provider.settings().getOrDefault(TTL.name(), "5m");
        return "off".equals(value) ? Optional.empty() : Optional.of(value);
    }

    /**
     * The body of one attempt: a translated request gets the breakpoints the provider's setting asks
     * for; a client's own Messages body is left as the client wrote it (Claude Code places its own).
     */
    public static JsonBody on(Outbound call) {
        Optional<String> ttl = ttl(call.provider());
        if (call.passthrough() || ttl.isEmpty()) {
            return call.body();
        }
        try {
            return JsonBody.parse(place(call.body().bytes(), ttl.get()));
        } catch (InvalidJsonException e) {
            throw new IllegalStateException("breakpoints made invalid JSON", e);
        }
    }

    /** The Messages body with the breakpoints it lacks; the body as is when it has no room or there is nothing to mark. */
    public static byte[] place(byte[] body, String ttl) {
        JsonNode root = Json.parse(body);
        if (!(root instanceof ObjectNode object) || !place(object, ttl)) {
            return body;
        }
        return Json.bytes(object);
    }

    /** @return whether a breakpoint was added */
    static boolean place(ObjectNode root, String ttl) {
        int free = MAX - count(root.get("tools")) - count(root.get("system")) - count(root.get("messages"));
        if (free <= 0) {
            return false;
        }
        List<ObjectNode> chosen = new ArrayList<>(MAX);
        JsonNode messages = root.get("messages");
        if (messages instanceof ArrayNode list && !list.isEmpty()) {
            int last = lastUser(list, list.size() - 1);
            int previous = last < 0 ? -1 : lastUser(list, lastAssistant(list, last - 1));
            addIfFree(chosen, lastBlock(list, previous));
            addIfFree(chosen, lastBlock(list, last));
        }
        addIfFree(chosen, lastSystemBlock(root));
        JsonNode tools = root.get("tools");
        if (tools instanceof ArrayNode t && !t.isEmpty() && t.get(t.size() - 1) instanceof ObjectNode tool) {
            addIfFree(chosen, tool);
        }
        int placed = 0;
        for (ObjectNode block : chosen) {
            if (placed == free) {
                break;
            }
            ObjectNode control = block.putObject("cache_control").put("type", "ephemeral");
            if (!"5m".equals(ttl)) {
                control.put("ttl", ttl); // five minutes is the default; older deployments know no ttl field
            }
            placed++;
        }
        return placed > 0;
    }

    private static void addIfFree(List<ObjectNode> chosen, ObjectNode block) {
        if (block != null && !block.has("cache_control") && chosen.stream().noneMatch(b -> b == block)) {
            chosen.add(block);
        }
    }

    /** Breakpoints already in a part of the request, however deep (a tool result's content may hold one). */
    static int count(JsonNode node) {
        if (node == null) {
            return 0;
        }
        int n = node.isObject() && node.has("cache_control") ? 1 : 0;
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                n += count(child);
            }
        }
        return n;
    }

    private static int lastUser(ArrayNode messages, int from) {
        for (int i = from; i >= 0; i--) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                return i;
            }
        }
        return -1;
    }

    private static int lastAssistant(ArrayNode messages, int from) {
        for (int i = from; i >= 0; i--) {
            if ("assistant".equals(messages.get(i).path("role").asText())) {
                return i;
            }
        }
        return -1;
    }

    /** The last block of a message that can carry a breakpoint (thinking blocks cannot); a string content becomes a block. */
    private static ObjectNode lastBlock(ArrayNode messages, int index) {
        if (index < 0 || !(messages.get(index) instanceof ObjectNode message)) {
            return null;
        }
        JsonNode content = message.get("content");
        if (content != null && content.isTextual()) {
            if (content.asText().isEmpty()) {
                return null;
            }
            ArrayNode blocks = message.putArray("content");
            return blocks.addObject().put("type", "text").put("text", content.asText());
        }
        if (content instanceof ArrayNode blocks) {
            for (int i = blocks.size() - 1; i >= 0; i--) {
                if (blocks.get(i) instanceof ObjectNode block && cacheable(block)) {
                    return block;
                }
            }
        }
        return null;
    }

    private static boolean cacheable(ObjectNode block) {
        String type = block.path("type").asText();
        return !type.equals("thinking") && !type.equals("redacted_thinking") && !(type.equals("text") && block.path("text").asText().isEmpty());
    }

    private static ObjectNode lastSystemBlock(ObjectNode root) {
        JsonNode system = root.get("system");
        if (system != null && system.isTextual()) {
            if (system.asText().isEmpty()) {
                return null;
            }
            ArrayNode blocks = root.putArray("system");
            return blocks.addObject().put("type", "text").put("text", system.asText());
        }
        if (system instanceof ArrayNode blocks && !blocks.isEmpty() && blocks.get(blocks.size() - 1) instanceof ObjectNode block) {
            return block;
        }
        return null;
    }
}
