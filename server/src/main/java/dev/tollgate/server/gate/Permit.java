package dev.tollgate.server.gate;

import dev.tollgate.policy.Pricing;
import dev.tollgate.server.budget.Estimate;
import dev.tollgate.server.ledger.Reservation;
import java.util.Map;
import java.util.Optional;

/**
 * What the gate holds for an admitted request until it settles: its slot in the rate limits and its
 * reservation on every budget of its chain, with the price and estimate they were made from.
 *
 * @param session  its hold on its agent session's budgets; null outside a governed session
 * @param warnings budgets past their {@code warn_at_percent}, in words, for the answer's header
 * @param downgrade the budget downgrade that sent the request to a cheaper model than it asked for
 */
public record Permit(RateLimits.Permit limits, Reservation reservation, Optional<Pricing> pricing, Estimate estimate,
                     dev.tollgate.server.session.Sessions.Hold session, java.util.List<String> warnings,
                     Optional<dev.tollgate.server.session.Sessions.Pacing> downgrade) {

    /** Header of an answer whose budget is nearly spent. */
    public static final String WARNING_HEADER = "x-tollgate-budget-warning";
    /** Header of an answer a budget's downgrade sent to a cheaper model: {@code FROM -> TO (why)}. */
    public static final String DOWNGRADED_HEADER = "x-tollgate-downgraded";

    public Permit {
        warnings = java.util.List.copyOf(warnings);
    }

    public Permit(RateLimits.Permit limits, Reservation reservation, Optional<Pricing> pricing, Estimate estimate) {
        this(limits, reservation, pricing, estimate, null, java.util.List.of(), Optional.empty());
    }

    /** The rate-limit headers every answer to this request carries. */
    public Map<String, String> rateLimitHeaders() {
        return limits.headers();
    }
}
