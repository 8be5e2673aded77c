package dev.tollgate.server.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.usage.ProviderUsage;
import dev.tollgate.providers.usage.Usage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each provider's usage shape priced exactly against the bundled list prices (1 token at $1/M = 1,000 nano-dollars). */
class PricesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PolicySnapshot POLICY = policy();

    private static PolicySnapshot policy() {
        try {
            return PolicyLoader.load(Map.of("p.yaml", """
                    providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}]
                    models: [{name: m, targets: [{provider: up, model: gpt-5}]}]
                    """.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Pricing price(String model) {
        return POLICY.pricing(model).orElseThrow();
    }

    @Test
    void openAiChatCachedInputAndReasoningOutput() throws Exception {
        Usage u = ProviderUsage.openAiChat(JSON.readTree("""
                {"prompt_tokens":1000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":400},
                 "completion_tokens_details":{"reasoning_tokens":200}}"""));
        // gpt-5: 600 x $1.25 + 400 cached x $0.125 + 500 output (200 of them reasoning) x $10, per million
        assertEquals((600 * 1250L) + (400 * 125L) + (500 * 10_000L), Prices.cost(price("gpt-5"), u));
        assertEquals(200, u.reasoningTokens());
    }

    @Test
    void openAiResponsesSameAsChatUnderOtherNames() throws Exception {
        Usage u = ProviderUsage.openAiResponses(JSON.readTree("""
                {"input_tokens":1000,"output_tokens":500,"input_tokens_details":{"cached_tokens":400},
                 "output_tokens_details":{"reasoning_tokens":200}}"""));
        assertEquals(5_800_000L, Prices.cost(price("gpt-5"), u));
    }

    @Test
    void anthropicCacheReadsAndFiveMinuteAndOneHourWritesPricedApart() throws Exception {
        Usage u = ProviderUsage.anthropic(JSON.readTree("""
                {"input_tokens":100,"cache_read_input_tokens":2000,"cache_creation_input_tokens":300,
                 "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},"output_tokens":50}"""));
        // claude-sonnet-4-5: 100 x $3 + 2000 reads x $0.30 + 100 5m-writes x $3.75 + 200 1h-writes x $6 + 50 x $15
        assertEquals(100 * 3000L + 2000 * 300L + 100 * 3750L + 200 * 6000L + 50 * 15_000L, Prices.cost(price("claude-sonnet-4-5"), u));
        assertEquals(2400, u.inputTokens(), "input counts reads and writes in");
    }

    @Test
    void anthropicWritesWithoutSplitAreFiveMinute() throws Exception {
        Usage u = ProviderUsage.anthropic(JSON.readTree("""
                {"input_tokens":10,"cache_creation_input_tokens":1000,"output_tokens":0}"""));
        assertEquals(10 * 3000L + 1000 * 3750L, Prices.cost(price("claude-sonnet-4-5"), u));
    }

    @Test
    void hostedWebSearchesArePricedPerThousandAtTheListPriceUnlessThePolicySetsOne() throws Exception {
        Usage u = ProviderUsage.anthropic(JSON.readTree("""
                {"input_tokens":100,"output_tokens":50,"server_tool_use":{"web_search_requests":3}}"""));
        assertEquals(3, u.webSearches());
        // claude-sonnet-4-5: 100 x $3 + 50 x $15 per million, plus 3 searches at $10 per thousand (10 million nanos each)
        assertEquals(100 * 3000L + 50 * 15_000L + 3 * 10_000_000L, Prices.cost(price("claude-sonnet-4-5"), u));

        PolicySnapshot own = PolicyLoader.load(Map.of("p.yaml", """
                providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}]
                models: [{name: m, targets: [{provider: up, model: gpt-5}]}]
                pricing: [{model: m, input: 1, output: 1, web_search: 25}]
                """.getBytes(StandardCharsets.UTF_8)));
        assertEquals(3 * 25_000_000L, Prices.cost(own.pricing("m").orElseThrow(), new Usage(0, 0, 0, 0, 0, 0, 3)));
    }

    @Test
    void geminiCachedContentAndThoughtsBilledAsOutput() throws Exception {
        Usage u = ProviderUsage.gemini(JSON.readTree("""
                {"promptTokenCount":1000,"cachedContentTokenCount":600,"candidatesTokenCount":100,"thoughtsTokenCount":300}"""));
        // gemini-2.5-flash: 400 x $0.30 + 600 cached x $0.075 + (100 + 300 thoughts) x $2.50
        assertEquals(400 * 300L + 600 * 75L + 400 * 2500L, Prices.cost(price("gemini-2.5-flash"), u));
        assertEquals(300, u.reasoningTokens());
    }

    @Test
    void pricingInLongsGivesTheBigDecimalResultAndFallsBackWhereItCannot() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 20_000; i++) {
            // prices with 0 to 8 decimals (7 and 8 take the BigDecimal path), costs up to past $10,000
            java.util.function.Supplier<java.math.BigDecimal> price = () -> java.math.BigDecimal.valueOf(random.nextInt(200_000), random.nextInt(9));
            Pricing p = new Pricing("m", price.get(), price.get(), price.get(), price.get(), price.get(), price.get());
            long scale = random.nextBoolean() ? 1_000 : 100_000_000;
            Usage u = new Usage(Math.floorMod(random.nextLong(), scale), Math.floorMod(random.nextLong(), scale), random.nextInt(1000),
                    random.nextInt(1000), 0, random.nextInt(1000), random.nextInt(10));
            long expected = p.cost(u.uncachedInputTokens(), u.outputTokens(), u.cachedInputTokens(), u.cacheWrite5mTokens(),
                    u.cacheWrite1hTokens(), u.webSearches()).movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
            assertEquals(expected, Prices.cost(p, u), p + " " + u);
        }
    }

    @Test
    void aModelIsPricedByItsPublicNameElseItsUpstreamName() {
        assertEquals("gpt-5", POLICY.priceOf("m").orElseThrow().model());
        assertEquals("gpt-5", POLICY.priceOf("up/gpt-5").orElseThrow().model());
    }

    @Test
    void moneyFormatsCentsAndSmallAmounts() {
        assertEquals("$500.00", Money.format(500 * Money.NANOS_PER_USD));
        assertEquals("$0.000375", Money.format(375_000));
    }
}
