package dev.tollgate.policy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The controls every level (customer, team, key) may carry. Issue 4's gate enforces them along the
 * chain key -> team -> customer; this record only declares them.
 *
 * @param captureContent whether the request log keeps prompts and answers of this level's requests;
 *                       empty leaves it to the next wider level (off when no level says)
 * @param unpriced       {@code allow}: a model without a price may be used although a budget applies (a free
 *                       self-hosted model); empty leaves it to the next wider level (refused when no level says)
 * @param brake          the runaway brake's rules for this level's agent sessions; every level's apply
 */
public record Governance(List<Budget> budgets, List<RateLimit> limits, ModelAccess models,
                         OptionalInt maxConcurrent, Optional<Instant> expires, Map<String, String> labels,
                         Optional<Boolean> captureContent, Optional<Unpriced> unpriced, Optional<Brake> brake) {

    public Governance(List<Budget> budgets, List<RateLimit> limits, ModelAccess models, OptionalInt maxConcurrent,
                      Optional<Instant> expires, Map<String, String> labels, Optional<Boolean> captureContent, Optional<Unpriced> unpriced) {
        this(budgets, limits, models, maxConcurrent, expires, labels, captureContent, unpriced, Optional.empty());
    }

    /** What a level says of models without a price. */
    public enum Unpriced {
        /** Refused while any budget of the chain applies: a budget cannot hold what it cannot price. */
        REFUSE,
        /** Served, counted at $0: for free models (self-hosted), chosen explicitly. */
        ALLOW
    }

    public Governance(List<Budget> budgets, List<RateLimit> limits, ModelAccess models, OptionalInt maxConcurrent,
                      Optional<Instant> expires, Map<String, String> labels, Optional<Boolean> captureContent) {
        this(budgets, limits, models, maxConcurrent, expires, labels, captureContent, Optional.empty());
    }

    public static final Governance NONE = new Governance(List.of(), List.of(), ModelAccess.ANY, OptionalInt.empty(),
            Optional.empty(), Map.of());

    /** Without a say on content capture: the level leaves it to a wider one. */
    public Governance(List<Budget> budgets, List<RateLimit> limits, ModelAccess models, OptionalInt maxConcurrent,
                      Optional<Instant> expires, Map<String, String> labels) {
        this(budgets, limits, models, maxConcurrent, expires, labels, Optional.empty());
    }

    public Governance {
        budgets = List.copyOf(budgets);
        limits = List.copyOf(limits);
        labels = Map.copyOf(labels);
    }

    public boolean expiredAt(Instant now) {
        return expires.map(e -> !now.isBefore(e)).orElse(false);
    }
}
