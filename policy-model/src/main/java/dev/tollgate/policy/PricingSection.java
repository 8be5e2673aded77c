package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code pricing:} rows in USD per million tokens; cache-write prices default to Anthropic's multipliers.
 * A row may carry a long-context tier ({@code above}), service-tier multipliers ({@code service_tiers})
 * and where and when its prices were read ({@code source}, {@code as_of}).
 */
final class PricingSection {

    static final Set<String> FIELDS = Set.of("model", "input", "output", "cached_input", "cache_write_5m",
            "cache_write_1h", "web_search", "above", "service_tiers", "source", "as_of", "context_window", "max_output_tokens",
            "reasoning", "images", "web_search_per");
    static final Set<String> ABOVE_FIELDS = Set.of("input_tokens", "input", "output", "cached_input", "cache_write_5m", "cache_write_1h");
    /** The service tiers a provider reports it served at a price other than its standard one. */
    static final Set<String> SERVICE_TIERS = Set.of("flex", "priority");
    /** USD per thousand hosted web searches when a price row does not say: OpenAI's and Anthropic's list price. */
    static final BigDecimal DEFAULT_WEB_SEARCH = BigDecimal.TEN;
    private static final BigDecimal FIVE_MINUTE_WRITE = new BigDecimal("1.25");

    private final YamlFields f;

    PricingSection(YamlFields f) {
        this.f = f;
    }

    Optional<Pricing> read(JsonNode node, String path) {
        boolean known = f.fields(node, path, FIELDS);
        String model = f.text(node, path, "model", true);
        Rates rates = rates(node, path);
        BigDecimal search = price(node, path, "web_search", DEFAULT_WEB_SEARCH);
        Optional<Pricing.LongContext> above = above(node, path);
        Map<String, BigDecimal> tiers = serviceTiers(node, path);
        String source = f.text(node, path, "source", false);
        String asOf = f.text(node, path, "as_of", false);
        ModelFacts facts = ModelFacts.read(f, node, path);
        String searchUnit = f.text(node, path, "web_search_per", false);
        if (searchUnit != null && !searchUnit.equals("search") && !searchUnit.equals("prompt")) {
            f.problem(join(path, "web_search_per"), "'web_search_per' is 'search' (each hosted search is billed, the default) or 'prompt' "
                    + "(one charge per request that searched, as Gemini 2.5's grounding), found '" + searchUnit + "'");
            return Optional.empty();
        }
        if (!known || model == null || rates == null || search == null || above == null || tiers == null || facts == null
                || node.has("source") && source == null || node.has("as_of") && asOf == null) {
            return Optional.empty();
        }
        return Optional.of(new Pricing(model, rates.input, rates.output, rates.cached, rates.write5m, rates.write1h, search,
                above, tiers, source, asOf, "prompt".equals(searchUnit), facts));
    }

    private record Rates(BigDecimal input, BigDecimal output, BigDecimal cached, BigDecimal write5m, BigDecimal write1h) {
    }

    /** input and output (required), cache reads (default: input), writes (default: 1.25x and 2x input). */
    private Rates rates(JsonNode node, String path) {
        BigDecimal input = price(node, path, "input", null);
        BigDecimal output = price(node, path, "output", null);
        BigDecimal cached = price(node, path, "cached_input", input);
        // Anthropic's multipliers are the usual defaults (and OpenAI's for GPT-5.6+): 5-minute writes 1.25x input, 1-hour 2x.
        BigDecimal w5 = price(node, path, "cache_write_5m", input == null ? null : input.multiply(FIVE_MINUTE_WRITE));
        BigDecimal w1 = price(node, path, "cache_write_1h", input == null ? null : input.multiply(BigDecimal.TWO));
        if (input == null || output == null || cached == null || w5 == null || w1 == null) {
            return null;
        }
        return new Rates(input, output, cached, w5, w1);
    }

    /** Empty when the row has no long-context tier; null when the one written is wrong (reported). */
    private Optional<Pricing.LongContext> above(JsonNode node, String path) {
        if (!node.has("above") || node.get("above").isNull()) {
            return Optional.empty();
        }
        String where = join(path, "above");
        JsonNode tier = f.object(node, path, "above");
        if (tier == null) {
            return null;
        }
        boolean known = f.fields(tier, where, ABOVE_FIELDS);
        Long threshold = f.whole(tier, where, "input_tokens", 1, null, " (the input size above which these rates apply)");
        if (threshold == null && !tier.has("input_tokens")) {
            f.problem(where, "'input_tokens' is required here (the input size above which these rates apply)");
        }
        Rates rates = rates(tier, where);
        if (!known || threshold == null || rates == null) {
            return null;
        }
        return Optional.of(new Pricing.LongContext(threshold, rates.input, rates.output, rates.cached, rates.write5m, rates.write1h));
    }

    private Map<String, BigDecimal> serviceTiers(JsonNode node, String path) {
        Map<String, BigDecimal> out = new LinkedHashMap<>();
        if (!node.has("service_tiers") || node.get("service_tiers").isNull()) {
            return out;
        }
        String where = join(path, "service_tiers");
        JsonNode tiers = f.object(node, path, "service_tiers");
        if (tiers == null || !f.fields(tiers, where, SERVICE_TIERS)) {
            return null;
        }
        boolean ok = true;
        for (String tier : SERVICE_TIERS) {
            if (tiers.has(tier)) {
                BigDecimal times = f.number(tiers, where, tier, false);
                if (times == null) {
                    ok = false;
                } else if (times.signum() <= 0) {
                    f.problem(join(where, tier), "a service tier multiplies every rate and must be above 0, found " + times.toPlainString());
                    ok = false;
                } else {
                    out.put(tier, times);
                }
            }
        }
        return ok ? out : null;
    }

    private BigDecimal price(JsonNode node, String path, String field, BigDecimal fallback) {
        BigDecimal n = f.number(node, path, field, fallback == null && Set.of("input", "output").contains(field));
        if (n == null) {
            return node.has(field) ? null : fallback;
        }
        if (n.signum() < 0) {
            f.problem(join(path, field), "a price cannot be negative (USD per million tokens), found " + n.toPlainString());
            return null;
        }
        return n;
    }
}
