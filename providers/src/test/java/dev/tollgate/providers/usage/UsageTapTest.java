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
    void anthropicStreamsKeepOneHourCacheWritesAndCountServerWebSearches() {
        UsageTap tap = UsageTap.forStream(Api.MESSAGES, false);
        assertTrue(tap.accept(event("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":"
                + "{\"input_tokens\":10,\"cache_creation_input_tokens\":300,\"cache_read_input_tokens\":1000,\"cache_creation\":"
                + "{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":200},\"output_tokens\":1}}}\n\n")));
        assertEquals(new Usage(1310, 1, 1000, 300, 0, 200), tap.usage());
        assertTrue(tap.accept(event("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":42,\"server_tool_use\":{\"web_search_requests\":2}}}\n\n")));
        assertEquals(new Usage(1310, 42, 1000, 300, 0, 200, 2), tap.usage(), "the delta's output and searches, the start's input");
    }

    @Test
    void responsesCountHostedWebSearchCalls() {
        String output = "\"output\":[{\"type\": \"web_search_call\", \"id\": \"ws_1\", \"status\": \"completed\","
                + " \"action\": {\"type\": \"search\", \"query\": \"web_search_call\"}},"
                + "{\"type\":\"web_search_call\",\"id\":\"ws_2\",\"status\":\"completed\"},"
                + "{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"a \\\"web_search_call\\\" in text\"}]}]";
        String usage = "\"usage\":{\"input_tokens\":30,\"output_tokens\":7}";
        assertEquals(new Usage(30, 7, 0, 0, 0, 0, 2), UsageTap.ofBody(Api.RESPONSES,
                ("{\"id\":\"r\",\"include\":[\"web_search_call.action.sources\"]," + output + "," + usage + "}").getBytes(StandardCharsets.UTF_8)),
                "two calls; a query, an include path and quoted text that name it are not calls");

        UsageTap tap = UsageTap.forStream(Api.RESPONSES, false);
        assertTrue(tap.accept(event("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\","
                + output + "," + usage + "}}\n\n")));
        assertEquals(2, tap.usage().webSearches());
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
