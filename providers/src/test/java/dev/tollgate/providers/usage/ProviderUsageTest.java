package dev.tollgate.providers.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProviderUsageTest {

    private static JsonNode json(String s) throws Exception {
        return JsonBody.MAPPER.readTree(s);
    }

    /** GPT-5.6+ reports cache writes beside cache reads; both are part of input_tokens. */
    @Test
    void responsesCacheWritesAreReadFromInputTokensDetails() throws Exception {
        Usage u = ProviderUsage.openAiResponses(json("""
                {"input_tokens":5000,"input_tokens_details":{"cached_tokens":1000,"cache_write_tokens":3207},"output_tokens":20}"""));
        assertEquals(3207, u.cacheWriteTokens());
        assertEquals(3207, u.cacheWrite5mTokens());
        assertEquals(5000 - 1000 - 3207, u.uncachedInputTokens());
    }

    @Test
    void theServedTierOfAWholeAnswerIsKept() {
        Usage u = UsageTap.ofBody(Api.RESPONSES, """
                {"id":"r","service_tier":"priority","usage":{"input_tokens":3,"output_tokens":2}}""".getBytes(StandardCharsets.UTF_8));
        assertEquals("priority", u.serviceTier());
    }

    @Test
    void usageNobodyCanBillIsNone() throws Exception {
        assertSame(Usage.NONE, ProviderUsage.openAiChat(json("{\"completion_tokens\":3}")));
        assertSame(Usage.NONE, ProviderUsage.anthropic(json("{\"input_tokens\":\"12\",\"output_tokens\":3}")));
        assertSame(Usage.NONE, ProviderUsage.gemini(json("{\"promptTokenCount\":1e300}")));
        assertSame(Usage.NONE, ProviderUsage.bedrock(json("{\"inputTokens\":2,\"outputTokens\":-1}")));
        assertSame(Usage.NONE, UsageTap.ofBody(Api.RESPONSES, "{\"usage\":{}}".getBytes(StandardCharsets.UTF_8)));
        // Gemini leaves zero counts out: a prompt count alone is usage.
        assertEquals(7, ProviderUsage.gemini(json("{\"promptTokenCount\":7}")).inputTokens());
    }
}
