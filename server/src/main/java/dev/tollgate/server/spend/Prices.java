package dev.tollgate.server.spend;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Pricing;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.usage.Usage;
import java.util.Optional;

/**
 * What tokens and hosted web searches cost. Prices are USD per million tokens and per thousand
 * searches ({@link Pricing}); costs are nano-dollars, so one token at $1/M is exactly 1,000 nanos. Reasoning tokens are output tokens and cost the output
 * price (every provider bills them so); cache reads, 5-minute and 1-hour writes have their own prices.
 */
public final class Prices {

    private Prices() {
    }

    /** The price of the requested model name, else of the first target's upstream model. Empty: not priced. */
    public static Optional<Pricing> of(PolicySnapshot policy, String model) {
        Optional<Pricing> direct = policy.pricing(model);
        if (direct.isPresent()) {
            return direct;
        }
        return policy.resolve(model).map(Route::targets).filter(t -> !t.isEmpty())
                .flatMap(t -> policy.pricing(t.getFirst().model()));
    }

    /** The policy model prices the usage; budgets count it in whole nano-dollars. */
    public static long cost(Pricing p, Usage u) {
        return p.cost(u.uncachedInputTokens(), u.outputTokens(), u.cachedInputTokens(), u.cacheWrite5mTokens(), u.cacheWrite1hTokens(),
                        u.webSearches())
                .movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }
}
