package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bundled price table, long-context and service tiers, and price rows that must be refused where they are written. */
class PricingTableTest {

    private static List<String> problems(String pricing) {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(PolicyValidationTest.files("p.yaml", pricing)));
        return e.problems();
    }

    private static Pricing load(String pricing, String model) throws Exception {
        return PolicyLoader.load(PolicyValidationTest.files("p.yaml", pricing)).pricing(model).orElseThrow();
    }

    private static void assertMoney(String expected, BigDecimal actual) {
        assertEquals(0, new BigDecimal(expected).compareTo(actual), () -> "expected " + expected + ", got " + actual);
    }

    @Test
    void theBundledTablePricesWhatThePinnedClientsAskFor() {
        // Codex CLI 0.169's default and gpt-5.5, Claude Code's opus and sonnet, Gemini CLI's captured models.
        for (String model : List.of("gpt-6.1-sol", "gpt-5.5", "gpt-5-codex", "gpt-5.1-codex-max", "gpt-5.3-codex", "claude-opus-4-8",
                "claude-sonnet-5", "claude-haiku-4-5", "gemini-3.8-flash", "gemini-3.5-flash-lite", "claude-opus-4-8@20260528")) {
            assertTrue(PolicyLoader.DEFAULT_PRICING.stream().anyMatch(p -> p.model().equals(model.split("@")[0])), model + " is not priced");
        }
        for (Pricing p : PolicyLoader.DEFAULT_PRICING) {
            // Every row of the current generations says where and when its prices were read.
            if (p.model().matches("gpt-5.*|gpt-6.*|claude-.*|.*anthropic.*|gemini-.*")) {
                assertNotNull(p.source(), p.model() + " has no source");
                assertTrue(p.asOf() != null && p.asOf().matches("\\d{4}-\\d{2}-\\d{2}"), p.model() + " has no as_of date");
            }
        }
    }

    @Test
    void theBundledRowsCarryTheirTiers() {
        Pricing sol = PolicyLoader.DEFAULT_PRICING.stream().filter(p -> p.model().equals("gpt-6.1-sol")).findFirst().orElseThrow();
        assertEquals(272_000, sol.above().orElseThrow().inputTokens());
        assertMoney("0.5", sol.serviceTiers().get("flex"));
        assertMoney("2", sol.serviceTiers().get("priority"));
        // GPT-5.6+ writes its cache at 1.25x input unless a row says otherwise.
        assertMoney("2.50", sol.cacheWrite5m());
    }

    @Test
    void aLongContextTierAndServiceTiersPickTheRatesOfOneRequest() throws Exception {
        Pricing p = load("""
                pricing:
                  - model: big
                    input: 2
                    output: 10
                    cached_input: 0.1
                    above: {input_tokens: 1000, input: 4, output: 15}
                    service_tiers: {flex: 0.5, priority: 2}
                    source: https://example.com/pricing
                    as_of: "2026-12-01"
                """, "big");
        assertSame(p, p.ratesFor(1000, null), "at the threshold the standard rates apply");
        Pricing longer = p.ratesFor(1001, null);
        assertMoney("4", longer.input());
        assertMoney("15", longer.output());
        assertMoney("4", longer.cachedInput()); // not given in the tier: its input rate, never less
        assertMoney("5", longer.cacheWrite5m()); // 1.25x the tier's input
        Pricing priorityLong = p.ratesFor(5000, "priority");
        assertMoney("8", priorityLong.input());
        assertMoney("30", priorityLong.output());
        assertMoney("0.05", p.ratesFor(10, "flex").cachedInput());
        assertSame(p, p.ratesFor(10, "default"), "a tier the row does not list costs the standard rates");
        assertEquals("https://example.com/pricing", p.source());
        assertEquals("2026-12-01", p.asOf());
    }

    @Test
    void aNegativeOrNonNumericPriceIsRefusedWhereItIsWritten() {
        List<String> negative = problems("""
                pricing:
                  - {model: a, input: -1, output: 1}
                """);
        assertTrue(negative.getFirst().startsWith("p.yaml:2:") && negative.getFirst().contains("cannot be negative"), negative.toString());
        List<String> text = problems("""
                pricing:
                  - model: a
                    input: 1
                    output: "$2.00"
                """);
        assertTrue(text.getFirst().startsWith("p.yaml:4:13") && text.getFirst().contains("must be a number"), text.toString());
        List<String> tier = problems("""
                pricing:
                  - model: a
                    input: 1
                    output: 2
                    above: {input_tokens: 100, input: -4, output: 3}
                """);
        assertTrue(tier.getFirst().startsWith("p.yaml:5:") && tier.getFirst().contains("cannot be negative"), tier.toString());
    }

    @Test
    void aDuplicateModelIsRefused() {
        List<String> p = problems("""
                pricing:
                  - {model: a, input: 1, output: 2}
                  - {model: a, input: 1, output: 3}
                """);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("p.yaml:3:") && s.contains("'a'")), p.toString());
    }

    @Test
    void anUnknownTierOrFieldIsRefusedWhereItIsWritten() {
        List<String> tier = problems("""
                pricing:
                  - model: a
                    input: 1
                    output: 2
                    service_tiers: {flexx: 0.5}
                """);
        assertTrue(tier.getFirst().startsWith("p.yaml:5:21") && tier.getFirst().contains("unknown field 'flexx'")
                && tier.getFirst().contains("did you mean 'flex'"), tier.toString());
        List<String> zero = problems("""
                pricing:
                  - {model: a, input: 1, output: 2, service_tiers: {priority: 0}}
                """);
        assertTrue(zero.getFirst().startsWith("p.yaml:2:") && zero.getFirst().contains("above 0"), zero.toString());
        List<String> above = problems("""
                pricing:
                  - model: a
                    input: 1
                    output: 2
                    above: {tokens: 100, input: 4, output: 3}
                """);
        assertTrue(above.stream().anyMatch(s -> s.startsWith("p.yaml:5:") && s.contains("unknown field 'tokens'")), above.toString());
        assertTrue(above.stream().anyMatch(s -> s.contains("'input_tokens' is required")), above.toString());
        List<String> field = problems("""
                pricing:
                  - {model: a, input: 1, output: 2, cache_read: 0.1}
                """);
        assertTrue(field.getFirst().startsWith("p.yaml:2:") && field.getFirst().contains("unknown field 'cache_read'"), field.toString());
    }

    @Test
    void hostedSearchesAreBilledPerSearchOrOncePerPrompt() throws Exception {
        Pricing perSearch = PolicyLoader.DEFAULT_PRICING.stream().filter(p -> p.model().equals("gemini-3-flash-preview")).findFirst().orElseThrow();
        Pricing perPrompt = PolicyLoader.DEFAULT_PRICING.stream().filter(p -> p.model().equals("gemini-2.5-flash")).findFirst().orElseThrow();
        assertMoney("14", perSearch.webSearch());
        assertEquals(3, perSearch.billedSearches(3));
        assertMoney("35", perPrompt.webSearch());
        assertEquals(1, perPrompt.billedSearches(3));
        assertEquals(0, perPrompt.billedSearches(0));
        assertTrue(problems("""
                pricing:
                  - {model: x, input: 1, output: 2, web_search_per: each}
                """).getFirst().contains("'web_search_per' is 'search' (each hosted search is billed, the default) or 'prompt'"));
    }
}
