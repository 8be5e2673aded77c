package dev.tollgate.providers.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageTapTest {

    private static SseEvent event(String text) {
        return new SseEvent(text.getBytes(StandardCharsets.UTF_8));
    }

    private static final String USAGE_CHUNK = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":4},\"completion_tokens_details\":{\"reasoning_tokens\":2}}}\n\n";

    @Test
    void chatReadsTheUsageChunkAndHidesItOnlyWhenTheGatewayAskedForIt() {
        UsageTap hiding = UsageTap.forStream(Api.CHAT_COMPLETIONS, true);
        assertTrue(hiding.accept(event("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n")));
        assertFalse(hiding.accept(event(USAGE_CHUNK)));
        assertEquals(new Usage(12, 5, 4, 0, 2), hiding.usage());

        UsageTap showing = UsageTap.forStream(Api.CHAT_COMPLETIONS, false);
        assertTrue(showing.accept(event(USAGE_CHUNK)));
        assertEquals(17, showing.usage().totalTokens());
    }

    @Test
    void responsesReadsTheCompletedEvent() {
        UsageTap tap = UsageTap.forStream(Api.RESPONSES, false);
        assertTrue(tap.accept(event("event: response.output_text.delta\ndata: {\"delta\":\"x\"}\n\n")));
        assertEquals(Usage.NONE, tap.usage());
        assertTrue(tap.accept(event("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\","
                + "\"usage\":{\"input_tokens\":30,\"input_tokens_details\":{\"cached_tokens\":10},\"output_tokens\":7,"
                + "\"output_tokens_details\":{\"reasoning_tokens\":3}}}}\n\n")));
        assertEquals(new Usage(30, 7, 10, 0, 3), tap.usage());
    }

    @Test
    void readsUsageOfWholeBodies() {
        assertEquals(new Usage(9, 2, 0, 0, 0), UsageTap.ofBody(Api.CHAT_COMPLETIONS,
                "{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(new Usage(5, 0, 0, 0, 0), UsageTap.ofBody(Api.EMBEDDINGS,
                "{\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Usage.NONE, UsageTap.ofBody(Api.RESPONSES, "not json".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void converseReadsTheMetadataEventWithCacheTokensCountedIn() {
        UsageTap tap = UsageTap.forStream(Api.CONVERSE, false);
        assertTrue(tap.accept(SseEvent.of("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"hi\"}}")));
        assertEquals(Usage.NONE, tap.usage());
        assertTrue(tap.accept(SseEvent.of("metadata", "{\"usage\":{\"inputTokens\":5,\"outputTokens\":7,\"totalTokens\":112,"
                + "\"cacheReadInputTokens\":80,\"cacheWriteInputTokens\":20},\"metrics\":{\"latencyMs\":3}}")));
        assertEquals(new Usage(105, 7, 80, 20, 0), tap.usage());
        assertEquals(new Usage(105, 7, 80, 20, 0), UsageTap.ofBody(Api.CONVERSE, ("{\"output\":{},\"usage\":{\"inputTokens\":5,"
                + "\"outputTokens\":7,\"cacheReadInputTokens\":80,\"cacheWriteInputTokens\":20}}").getBytes(StandardCharsets.UTF_8)));
    }
}
