package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.Set;

/** {@code pricing:} rows in USD per million tokens; cache-write prices default to Anthropic's multipliers. */
final class PricingSection {

    static final Set<String> FIELDS = Set.of("model", "input", "output", "cached_input", "cache_write_5m",
            "cache_write_1h", "web_search");
    /** USD per thousand hosted web searches when a price row does not say: OpenAI's and Anthropic's list price. */
    static final BigDecimal DEFAULT_WEB_SEARCH = BigDecimal.TEN;

    private final YamlFields f;

    PricingSection(YamlFields f) {
        this.f = f;
    }

    Optional<Pricing> read(JsonNode node, String path) {
        f.fields(node, path, FIELDS);
        String model = f.text(node, path, "model", true);
        BigDecimal input = price(node, path, "input", null);
        BigDecimal output = price(node, path, "output", null);
        BigDecimal cached = price(node, path, "cached_input", input);
        // Anthropic's multipliers are the usual defaults: 5-minute writes 1.25x input, 1-hour 2x.
        BigDecimal w5 = price(node, path, "cache_write_5m", input == null ? null : input.multiply(new BigDecimal("1.25")));
        BigDecimal w1 = price(node, path, "cache_write_1h", input == null ? null : input.multiply(BigDecimal.TWO));
        BigDecimal search = price(node, path, "web_search", DEFAULT_WEB_SEARCH);
        if (model == null || input == null || output == null || cached == null || w5 == null || w1 == null || search == null) {
            return Optional.empty();
        }
        return Optional.of(new Pricing(model, input, output, cached, w5, w1, search));
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
