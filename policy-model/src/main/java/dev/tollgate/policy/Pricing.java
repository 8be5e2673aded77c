package dev.tollgate.policy;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * USD per million tokens for one model. Cache reads and writes are priced apart: a coding agent's
 * long prompt is mostly cache reads, and Anthropic charges writes at 1.25x (5 min) or 2x (1 h).
 * Hosted web searches (Codex's web_search tool, Claude Code's WebSearch) cost {@code webSearch} USD
 * per thousand, on top of the tokens their results add to the input.
 */
public record Pricing(String model, BigDecimal input, BigDecimal output, BigDecimal cachedInput,
                      BigDecimal cacheWrite5m, BigDecimal cacheWrite1h, BigDecimal webSearch) {

    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
    private static final BigDecimal THOUSAND_PER_MILLION = BigDecimal.valueOf(1_000);

    /** Cost in USD of the given token counts and searches. */
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
