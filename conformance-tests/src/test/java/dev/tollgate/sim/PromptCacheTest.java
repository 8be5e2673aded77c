package dev.tollgate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The simulator's prompt caches on a clock the test moves: reads only where a written prefix repeats, per target, within its TTL. */
class PromptCacheTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** 8,000 characters: 2,000 tokens, over the 1,024 a prefix needs. */
    private static final String SYSTEM = "s".repeat(8000);

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final PromptCache cache = new PromptCache(now::get);

    /** An Anthropic request: system, then {@code turns} user/assistant exchanges of 400 characters each, the last user turn marked. */
    private static ObjectNode anthropic(int turns, String ttl, boolean markSystem) {
        ObjectNode root = JSON.createObjectNode().put("model", "claude");
        ObjectNode sys = root.putArray("system").addObject().put("type", "text").put("text", SYSTEM);
        if (markSystem) {
            sys.putObject("cache_control").put("type", "ephemeral");
        }
        ArrayNode messages = root.putArray("messages");
        for (int t = 0; t < turns; t++) {
            ObjectNode user = messages.addObject().put("role", "user");
            ObjectNode block = user.putArray("content").addObject().put("type", "text").put("text", ("u" + t).repeat(200));
            if (t == turns - 1) {
                ObjectNode control = block.putObject("cache_control").put("type", "ephemeral");
                if (ttl != null) {
                    control.put("ttl", ttl);
                }
            } else {
                messages.addObject().put("role", "assistant").put("content", ("a" + t).repeat(200));
            }
        }
        return root;
    }

    private PromptCache.Use use(WireFormat format, String target, JsonNode body) {
        return cache.use(format, target, body);
    }

    @Test
    void anthropicWritesAtBreakpointsAndReadsTheLongestRepeatedOne() {
        PromptCache.Use first = use(AnthropicFormat.INSTANCE, "t", anthropic(1, null, true));
        assertEquals(new PromptCache.Use(0, 2100, 0), first, "system (2,000 tokens) and the first turn (100) written for 5 minutes");
        PromptCache.Use second = use(AnthropicFormat.INSTANCE, "t", anthropic(2, null, true));
        assertEquals(new PromptCache.Use(2100, 200, 0), second, "the first turn's prefix read (found looking back from the new breakpoint), the rest written");
        assertEquals(PromptCache.Use.NONE.read(), use(AnthropicFormat.INSTANCE, "other-key", anthropic(2, null, true)).read(),
                "another credential or model has its own cache");
    }

    @Test
    void withoutABreakpointNothingIsCachedAndShortPrefixesAreNot() {
        ObjectNode body = anthropic(1, null, false);
        body.withArray("messages").get(0).withArray("content").forEach(b -> ((ObjectNode) b).remove("cache_control"));
        assertEquals(PromptCache.Use.NONE, use(AnthropicFormat.INSTANCE, "t", body));
        assertEquals(PromptCache.Use.NONE, use(AnthropicFormat.INSTANCE, "t", body));
        ObjectNode small = JSON.createObjectNode();
        small.putArray("messages").addObject().put("role", "user").putArray("content").addObject().put("type", "text").put("text", "hi")
                .putObject("cache_control").put("type", "ephemeral");
        assertEquals(PromptCache.Use.NONE, use(AnthropicFormat.INSTANCE, "t", small), "under 1,024 tokens nothing is cached");
    }

    @Test
    void entriesExpireAfterTheirTtlAndAReadRefreshesThem() {
        use(AnthropicFormat.INSTANCE, "t", anthropic(1, null, true));
        now.addAndGet(4 * 60_000);
        assertEquals(2100, use(AnthropicFormat.INSTANCE, "t", anthropic(1, null, true)).read(), "read within 5 minutes, which refreshes it");
        now.addAndGet(4 * 60_000);
        assertEquals(2100, use(AnthropicFormat.INSTANCE, "t", anthropic(1, null, true)).read(), "8 minutes after the write, 4 after the read");
        now.addAndGet(6 * 60_000);
        assertEquals(new PromptCache.Use(0, 2100, 0), use(AnthropicFormat.INSTANCE, "t", anthropic(1, null, true)), "gone: written again");

        cache.clear();
        assertEquals(new PromptCache.Use(0, 2000, 100), use(AnthropicFormat.INSTANCE, "t", anthropic(1, "1h", true)),
                "the system's breakpoint is 5m, the turn's 1h: each segment at its own lifetime");
        now.addAndGet(30 * 60_000);
        assertEquals(2100, use(AnthropicFormat.INSTANCE, "t", anthropic(1, "1h", true)).read(), "an hour-long entry outlives five minutes");
    }

    @Test
    void bedrockCachePointsEndThePrefixBeforeThem() {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode system = body.putArray("system");
        system.addObject().put("text", SYSTEM);
        system.addObject().putObject("cachePoint").put("type", "default");
        body.putArray("messages").addObject().put("role", "user").putArray("content").addObject().put("text", "hello");
        assertEquals(new PromptCache.Use(0, 2000, 0), use(BedrockFormat.INSTANCE, "b", body));
        assertEquals(new PromptCache.Use(2000, 0, 0), use(BedrockFormat.INSTANCE, "b", body));
    }

    @Test
    void openAiCachesRepeatedPrefixesAutomaticallyIn128TokenStepsByPromptCacheKey() {
        ObjectNode body = JSON.createObjectNode().put("model", "gpt").put("instructions", "i".repeat(4500)); // 1,125 tokens
        ArrayNode input = body.putArray("input");
        input.addObject().put("role", "user").put("content", "q".repeat(400));
        assertEquals(0, use(OpenAiResponsesFormat.INSTANCE, "o", body).read(), "nothing before");
        input.addObject().put("role", "assistant").put("content", "a".repeat(400));
        input.addObject().put("role", "user").put("content", "r".repeat(400));
        // the first request's whole prompt (1,225 tokens) repeats: read in steps of 128 from 1,024
        assertEquals(1152, use(OpenAiResponsesFormat.INSTANCE, "o", body).read());
        body.put("prompt_cache_key", "conversation-2");
        assertEquals(0, use(OpenAiResponsesFormat.INSTANCE, "o", body).read(), "another prompt_cache_key is another cache");
        ObjectNode chat = JSON.createObjectNode().put("model", "gpt");
        chat.putArray("messages").addObject().put("role", "system").put("content", "c".repeat(400));
        assertEquals(0, use(OpenAiChatFormat.INSTANCE, "o", chat).read(), "under 1,024 tokens: never");
        assertEquals(0, use(OpenAiChatFormat.INSTANCE, "o", chat).read());
    }

    @Test
    void geminiCachesARepeatedPrefixImplicitly() {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("systemInstruction").putArray("parts").addObject().put("text", SYSTEM);
        body.putArray("contents").addObject().put("role", "user").putArray("parts").addObject().put("text", "hello");
        assertEquals(0, use(GeminiFormat.INSTANCE, "g", body).read());
        body.withArray("contents").addObject().put("role", "model").putArray("parts").addObject().put("text", "hi");
        assertEquals(2001, use(GeminiFormat.INSTANCE, "g", body).read(), "the first request's prompt, 8,005 characters");
    }
}
