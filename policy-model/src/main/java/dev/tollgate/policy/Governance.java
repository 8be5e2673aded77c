package dev.tollgate.policy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The controls every level (customer, team, key) may carry. Issue 4's gate enforces them along the
 * chain key -> team -> customer; this record only declares them.
 */
public record Governance(List<Budget> budgets, List<RateLimit> limits, ModelAccess models,
                         OptionalInt maxConcurrent, Optional<Instant> expires, Map<String, String> labels) {

    public static final Governance NONE = new Governance(List.of(), List.of(), ModelAccess.ANY, OptionalInt.empty(),
            Optional.empty(), Map.of());

    public Governance {
        budgets = List.copyOf(budgets);
        limits = List.copyOf(limits);
        labels = Map.copyOf(labels);
    }

    public boolean expiredAt(Instant now) {
        return expires.map(e -> !now.isBefore(e)).orElse(false);
    }
}
