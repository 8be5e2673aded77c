package dev.tollgate.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The providers' prompt caches, modelled closely enough that a test can tell a gateway that caches
 * from one that does not. Entries live per target (format, model and credential) on the simulator's
 * clock. A request is read as its blocks in the order the provider reads them (tools, system,
 * messages); token counts are the simulator's own ({@link InputText}, four characters a token).
 *
 * <ul>
 *   <li>Anthropic and Bedrock (explicit): only a prefix ending at a breakpoint ({@code cache_control},
 *       a {@code cachePoint} block) is written, for its TTL (5m or 1h); a later request reads the
 *       longest written prefix found at one of its own breakpoints or up to {@value #LOOKBACK} blocks
 *       before one, refreshing it; what lies between that and its last breakpoint is written (split by
 *       TTL). Prefixes under {@value #MIN_TOKENS} tokens are not cached.</li>
 *   <li>OpenAI (automatic): every block boundary of {@value #MIN_TOKENS} tokens or more is kept for
 *       ten minutes, keyed also by {@code prompt_cache_key}; reads come in 128-token steps from 1024.</li>
 *   <li>Gemini (implicit): the same without steps or a key, for five minutes.</li>
 * </ul>
 */
final class PromptCache {

    static final int MIN_TOKENS = 1024;
    static final int LOOKBACK = 20;
    static final long OPENAI_TTL_MS = 10 * 60_000;
    static final long GEMINI_TTL_MS = 5 * 60_000;

    /** Tokens of one request's input read from and written to the cache (writes by lifetime). */
    record Use(int read, int write5m, int write1h) {
        static final Use NONE = new Use(0, 0, 0);

        int write() {
            return write5m + write1h;
        }

        /** Clamped so that reads and writes never exceed the input they are part of. */
        Use within(int input) {
            int r = Math.min(read, input);
            int w1 = Math.min(write1h, input - r);
            int w5 = Math.min(write5m, input - r - w1);
            return new Use(r, w5, w1);
        }
    }

    private record Entry(long expiresAt, long ttlMs) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    PromptCache(LongSupplier clockMs) {
        this.clock = clockMs;
    }

    void clear() {
        entries.clear();
    }

    /** What a generate request of this format reads and writes, and the cache updated as the provider would. */
    Use use(WireFormat format, String target, JsonNode body) {
        if (entries.size() > 100_000) {
            long now = clock.getAsLong();
            entries.values().removeIf(e -> e.expiresAt() <= now);
        }
        return switch (format) {
            case AnthropicFormat a -> explicit(target, anthropic(body));
            case BedrockFormat b -> explicit(target, bedrock(body));
            case OpenAiChatFormat c -> automatic(target + "|" + Json.text(body, "prompt_cache_key", ""), openAi(body, "messages"), OPENAI_TTL_MS, true);
            case OpenAiResponsesFormat r -> automatic(target + "|" + Json.text(body, "prompt_cache_key", ""), openAi(body, "input"), OPENAI_TTL_MS, true);
            case GeminiFormat g -> automatic(target, gemini(body), GEMINI_TTL_MS, false);
        };
    }

    // ---- the two behaviours ---------------------------------------------------------------------

    Use explicit(String target, Prefix p) {
        long now = clock.getAsLong();
        int best = -1;
        for (int b : p.breakpoints()) {
            for (int j = b; j >= Math.max(0, b - LOOKBACK + 1) && j > best; j--) {
                Entry e = entries.get(target + "|" + p.hashes.get(j));
                if (e != null && e.expiresAt() > now && tokens(p.chars.get(j)) >= MIN_TOKENS) {
                    best = j;
                    break;
                }
            }
        }
        int read = 0;
        if (best >= 0) {
            String key = target + "|" + p.hashes.get(best);
            Entry e = entries.get(key);
            entries.put(key, new Entry(now + e.ttlMs(), e.ttlMs())); // a read refreshes the entry
            read = tokens(p.chars.get(best));
        }
        int written = read;
        int w5 = 0;
        int w1 = 0;
        for (int b : p.breakpoints()) {
            int t = tokens(p.chars.get(b));
            if (b <= best || t < MIN_TOKENS) {
                continue;
            }
            boolean hour = "1h".equals(p.ttls.get(b));
            if (hour) {
                w1 += t - written;
            } else {
                w5 += t - written;
            }
            written = t;
            long ttl = hour ? 3_600_000 : 300_000;
            entries.put(target + "|" + p.hashes.get(b), new Entry(now + ttl, ttl));
        }
        return new Use(read, w5, w1);
    }

    Use automatic(String namespace, Prefix p, long ttlMs, boolean steps) {
        long now = clock.getAsLong();
        int read = 0;
        for (int j = p.size() - 1; j >= 0; j--) {
            Entry e = entries.get(namespace + "|" + p.hashes.get(j));
            if (e != null && e.expiresAt() > now) {
                read = tokens(p.chars.get(j));
                break;
            }
        }
        if (read < MIN_TOKENS) {
            read = 0;
        } else if (steps) {
            read = MIN_TOKENS + (read - MIN_TOKENS) / 128 * 128;
        }
        for (int j = 0; j < p.size(); j++) {
            if (tokens(p.chars.get(j)) >= MIN_TOKENS) {
                entries.put(namespace + "|" + p.hashes.get(j), new Entry(now + ttlMs, ttlMs));
            }
        }
        return new Use(read, 0, 0);
    }

    private static int tokens(int chars) {
        return chars / 4;
    }

    // ---- requests as prefixes -------------------------------------------------------------------

    /** A request's blocks in reading order: the hash of the prefix ending at each, its characters, its breakpoint's TTL (or null). */
    static final class Prefix {
        final List<Long> hashes = new ArrayList<>();
        final List<Integer> chars = new ArrayList<>();
        final List<String> ttls = new ArrayList<>();
        private long hash = 0xcbf29ce484222325L;
        private int total;

        void add(String role, JsonNode block, int blockChars) {
            hash = fnv(hash, role + ":" + withoutMarks(block));
            total += blockChars;
            hashes.add(hash);
            chars.add(total);
            ttls.add(null);
        }

        /** Marks the last block added as a breakpoint. */
        void breakpoint(String ttl) {
            if (!ttls.isEmpty()) {
                ttls.set(ttls.size() - 1, ttl == null || ttl.isEmpty() ? "5m" : ttl);
            }
        }

        int size() {
            return hashes.size();
        }

        List<Integer> breakpoints() {
            List<Integer> at = new ArrayList<>();
            for (int i = 0; i < ttls.size(); i++) {
                if (ttls.get(i) != null) {
                    at.add(i);
                }
            }
            return at;
        }

        /** The cache key ignores where breakpoints sit: the same text marked differently is the same prefix. */
        private static String withoutMarks(JsonNode block) {
            if (block.toString().contains("\"cache_control\"") && block instanceof ObjectNode o) {
                ObjectNode copy = o.deepCopy();
                strip(copy);
                return copy.toString();
            }
            return block.toString();
        }

        private static void strip(JsonNode node) {
            if (node instanceof ObjectNode o) {
                o.remove("cache_control");
            }
            for (JsonNode child : node) {
                strip(child);
            }
        }

        private static long fnv(long h, String s) {
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                h ^= b;
                h *= 0x100000001b3L;
            }
            return h * 0x100000001b3L;
        }
    }

    static Prefix anthropic(JsonNode body) {
        Prefix p = new Prefix();
        for (JsonNode tool : body.path("tools")) {
            p.add("tool", tool, 0);
            mark(p, tool);
        }
        JsonNode system = body.path("system");
        if (system.isTextual()) {
            p.add("system", system, system.textValue().length());
        } else {
            for (JsonNode block : system) {
                p.add("system", block, InputText.blockChars(block));
                mark(p, block);
            }
        }
        for (JsonNode m : body.path("messages")) {
            String role = Json.text(m, "role", "user");
            JsonNode content = m.path("content");
            if (content.isTextual()) {
                p.add(role, content, content.textValue().length());
            } else {
                for (JsonNode block : content) {
                    p.add(role, block, InputText.blockChars(block));
                    mark(p, block);
                    // a breakpoint inside a tool result's content ends the prefix at the tool result
                    for (JsonNode inner : block.path("content")) {
                        mark(p, inner);
                    }
                }
            }
        }
        return p;
    }

    private static void mark(Prefix p, JsonNode block) {
        JsonNode control = block.get("cache_control");
        if (control != null && control.isObject()) {
            p.breakpoint(Json.text(control, "ttl", "5m"));
        }
    }

    static Prefix bedrock(JsonNode body) {
        Prefix p = new Prefix();
        blocks(p, "tool", body.path("toolConfig").path("tools"));
        blocks(p, "system", body.path("system"));
        for (JsonNode m : body.path("messages")) {
            blocks(p, Json.text(m, "role", "user"), m.path("content"));
        }
        return p;
    }

    /** Converse blocks: a cachePoint block ends the prefix before it. */
    private static void blocks(Prefix p, String role, JsonNode blocks) {
        for (JsonNode block : blocks) {
            if (block.has("cachePoint")) {
                p.breakpoint(Json.text(block.path("cachePoint"), "ttl", "5m"));
            } else {
                p.add(role, block, "tool".equals(role) ? 0 : InputText.blockChars(block));
            }
        }
    }

    /** Chat's messages or Responses' instructions and input items, after the tools. */
    static Prefix openAi(JsonNode body, String itemsKey) {
        Prefix p = new Prefix();
        for (JsonNode tool : body.path("tools")) {
            p.add("tool", tool, 0);
        }
        JsonNode instructions = body.path("instructions");
        if (instructions.isTextual()) {
            p.add("instructions", instructions, instructions.textValue().length());
        }
        JsonNode items = body.path(itemsKey);
        if (items.isTextual()) {
            p.add("user", items, items.textValue().length());
        }
        for (JsonNode item : items) {
            p.add("item", item, InputText.blockChars(item));
        }
        return p;
    }

    static Prefix gemini(JsonNode body) {
        Prefix p = new Prefix();
        JsonNode system = body.path("systemInstruction");
        if (!system.isMissingNode()) {
            p.add("system", system, InputText.blockChars(system));
        }
        for (JsonNode tool : body.path("tools")) {
            p.add("tool", tool, 0);
        }
        for (JsonNode content : body.path("contents")) {
            p.add("content", content, InputText.blockChars(content));
        }
        return p;
    }
}
