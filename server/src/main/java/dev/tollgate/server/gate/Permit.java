package dev.tollgate.server.gate;

import dev.tollgate.policy.Pricing;
import dev.tollgate.server.budget.Estimate;
import dev.tollgate.server.ledger.Reservation;
import java.util.Map;
import java.util.Optional;

/**
 * What the gate holds for an admitted request until it settles: its slot in the rate limits and its
 * reservation on every budget of its chain, with the price and estimate they were made from.
 */
public record Permit(RateLimits.Permit limits, Reservation reservation, Optional<Pricing> pricing, Estimate estimate) {

    /** The rate-limit headers every answer to this request carries. */
    public Map<String, String> rateLimitHeaders() {
        return limits.headers();
    }
}
