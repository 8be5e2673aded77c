package dev.tollgate.policy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Map;
import java.util.Optional;

/**
 * USD per million tokens for one model. Cache reads and writes are priced apart: a coding agent's
 * long prompt is mostly cache reads, and Anthropic charges writes at 1.25x (5 min) or 2x (1 h).
 * Hosted web searches (Codex's web_search tool, Claude Code's WebSearch) cost {@code webSearch} USD
 * per thousand, on top of the tokens their results add to the input.
 *
 * @param above        the long-context tier: a request whose input (cache reads and writes included)
 *                     is above its threshold is priced at its rates, every token of it (how OpenAI,
 *                     Anthropic and Google bill long prompts)
 * @param serviceTiers multipliers of every rate for a service tier the provider served (OpenAI's
 *                     {@code flex}, {@code priority}); a tier not listed costs the standard rates
 * @param source       where the prices were read (a URL), and {@code asOf} when; null for a policy's own row
 * @param searchPerPrompt hosted searches billed once per request that ran any (Gemini 2.5's grounding), not per search
 * @param facts        the model's context window, output cap, reasoning and images, where the row says them
 */
public record Pricing(String model, BigDecimal input, BigDecimal output, BigDecimal cachedInput,
                      BigDecimal cacheWrite5m, BigDecimal cacheWrite1h, BigDecimal webSearch,
                      Optional<LongContext> above, Map<String, BigDecimal> serviceTiers, String source, String asOf,
                      boolean searchPerPrompt, ModelFacts facts) {

    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
    private static final BigDecimal THOUSAND_PER_MILLION = BigDecimal.valueOf(1_000);

    public Pricing {
        serviceTiers = Map.copyOf(serviceTiers);
        facts = facts == null ? ModelFacts.UNKNOWN : facts;
    }

    /** A flat row: one set of rates whatever the request's size or service tier. */
    public Pricing(String model, BigDecimal input, BigDecimal output, BigDecimal cachedInput,
                   BigDecimal cacheWrite5m, BigDecimal cacheWrite1h, BigDecimal webSearch) {
        this(model, input, output, cachedInput, cacheWrite5m, cacheWrite1h, webSearch, Optional.empty(), Map.of(), null, null, false, ModelFacts.UNKNOWN);
    }

    /** The rates above {@code inputTokens} input tokens (exclusive): the provider bills the whole request at them. */
    public record LongContext(long inputTokens, BigDecimal input, BigDecimal output, BigDecimal cachedInput,
                              BigDecimal cacheWrite5m, BigDecimal cacheWrite1h) {
    }

    /**
     * The flat rates one request pays: the long-context tier's when its input is above the threshold,
     * times the service tier's multiplier when the row lists that tier (null or unlisted: standard).
     */
    public Pricing ratesFor(long inputTokens, String serviceTier) {
        LongContext tier = above.filter(a -> inputTokens > a.inputTokens()).orElse(null);
        BigDecimal times = serviceTier == null ? null : serviceTiers.get(serviceTier);
        if (tier == null && times == null) {
            return this;
        }
        BigDecimal m = times == null ? BigDecimal.ONE : times;
        return new Pricing(model, (tier == null ? input : tier.input()).multiply(m), (tier == null ? output : tier.output()).multiply(m),
                (tier == null ? cachedInput : tier.cachedInput()).multiply(m), (tier == null ? cacheWrite5m : tier.cacheWrite5m()).multiply(m),
                (tier == null ? cacheWrite1h : tier.cacheWrite1h()).multiply(m), webSearch, Optional.empty(), Map.of(), source, asOf,
                searchPerPrompt, facts);
    }

    /** The hosted searches billed for a request that ran {@code searches}: each, or one when billed per prompt. */
    public long billedSearches(long searches) {
        return searchPerPrompt ? Math.min(1, searches) : searches;
    }

    /** Cost in USD of the given token counts and searches, at this row's base rates. */
    public BigDecimal cost(long inputTokens, long outputTokens, long cachedReadTokens, long cacheWrite5mTokens,
                           long cacheWrite1hTokens, long webSearches) {
        BigDecimal micro = input.multiply(BigDecimal.valueOf(inputTokens))
                .add(output.multiply(BigDecimal.valueOf(outputTokens)))
                .add(cachedInput.multiply(BigDecimal.valueOf(cachedReadTokens)))
                .add(cacheWrite5m.multiply(BigDecimal.valueOf(cacheWrite5mTokens)))
                .add(cacheWrite1h.multiply(BigDecimal.valueOf(cacheWrite1hTokens)))
                .add(webSearch.multiply(THOUSAND_PER_MILLION).multiply(BigDecimal.valueOf(webSearches)));
        return micro.divide(MILLION, MathContext.DECIMAL64);
    }
}
