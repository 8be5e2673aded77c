package dev.tollgate.server.budget;

import dev.tollgate.policy.Budget;
import java.time.LocalDate;

/**
 * The budget that would go over: its level and owner, what was spent (reservations in flight
 * included) and what the request needed.
 *
 * @param resets the first day of the next period; {@code null} for a total budget
 */
public record BudgetRefusal(Level level, String ownerId, Budget budget, long spentNanos, long inFlightNanos, long neededNanos,
                            LocalDate resets) {

    /** "monthly budget of team infra is spent: $500.00 of $500.00; resets 2026-12-01" */
    public String message() {
        long limit = Money.nanos(budget.usd());
        String what = budget.period().id() + " budget" + budget.model().map(m -> " for model " + m).orElse("")
                + " of " + level.id() + " " + ownerId;
        long used = spentNanos + inFlightNanos;
        String state = used >= limit
                ? " is spent: " + Money.format(used) + " of " + Money.format(limit)
                : " would be exceeded: " + Money.format(used) + " of " + Money.format(limit) + " used"
                        + (inFlightNanos > 0 ? " (" + Money.format(inFlightNanos) + " held by requests in flight)" : "")
                        + " and this request needs about " + Money.format(neededNanos);
        String when = resets == null ? "; a total budget does not reset: ask the platform team to raise it"
                : "; resets " + resets;
        return what + state + when + ".";
    }
}
