package dev.tollgate.server.budget;

import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.usage.Usage;

/**
 * What tokens and hosted web searches cost. Prices are USD per million tokens and per thousand
 * searches ({@link Pricing}); costs are nano-dollars, so one token at $1/M is exactly 1,000 nanos. Reasoning tokens are output tokens and cost the output
 * price (every provider bills them so); cache reads, 5-minute and 1-hour writes have their own prices.
 */
public final class Prices {

    private Prices() {
    }

    /** Picodollars below which {@link Pricing#cost}'s 16 significant digits hold the exact cost ($10,000). */
    private static final long EXACT_BELOW_PICOS = 10_000_000_000_000_000L;

    /**
     * The policy model prices the usage; budgets count it in whole nano-dollars (half up). Priced
     * three times a request (estimate, settle, request record), so in exact picodollar longs when
     * they can hold it, the same result as {@link Pricing#cost}'s BigDecimals at a fraction of the cost.
     */
    public static long cost(Pricing row, Usage u) {
        // The long-context tier by the request's whole input, times the tier it was served in.
        Pricing p = row.ratesFor(u.inputTokens(), u.serviceTier());
        long searches = row.billedSearches(u.webSearches());
        long picos = picos(p, u, searches);
        if (picos >= 0) {
            return (picos + 500) / 1000;
        }
        return p.cost(u.uncachedInputTokens(), u.outputTokens(), u.cachedInputTokens(), u.cacheWrite5mTokens(), u.cacheWrite1hTokens(),
                        searches)
                .movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }

    /**
     * The exact cost in picodollars, or -1 when longs cannot give the BigDecimal result: a price
     * finer than a millionth of a dollar per million tokens, a negative total (BigDecimal rounds it
     * away from zero), or a cost of $10,000 or more.
     */
    private static long picos(Pricing p, Usage u, long searches) {
        try {
            long sum = Math.multiplyExact(perUnit(p.input(), 6), u.uncachedInputTokens());
            sum = Math.addExact(sum, Math.multiplyExact(perUnit(p.output(), 6), u.outputTokens()));
            sum = Math.addExact(sum, Math.multiplyExact(perUnit(p.cachedInput(), 6), u.cachedInputTokens()));
            sum = Math.addExact(sum, Math.multiplyExact(perUnit(p.cacheWrite5m(), 6), u.cacheWrite5mTokens()));
            sum = Math.addExact(sum, Math.multiplyExact(perUnit(p.cacheWrite1h(), 6), u.cacheWrite1hTokens()));
            sum = Math.addExact(sum, Math.multiplyExact(perUnit(p.webSearch(), 9), searches)); // priced per thousand
            return sum >= 0 && sum < EXACT_BELOW_PICOS ? sum : -1;
        } catch (ArithmeticException inexact) {
            return -1;
        }
    }

    /** Picodollars per token (a price per million, {@code shift} 6) or per search (per thousand, 9). */
    private static long perUnit(java.math.BigDecimal price, int shift) {
        return price.movePointRight(shift).longValueExact();
    }
}
