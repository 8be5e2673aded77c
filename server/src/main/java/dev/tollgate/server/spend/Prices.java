package dev.tollgate.server.spend;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Pricing;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.usage.Usage;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * What tokens cost. Prices are USD per million tokens ({@link Pricing}); costs are nano-dollars, so
 * one token at $1/M is exactly 1,000 nanos. Reasoning tokens are output tokens and cost the output
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

    public static long cost(Pricing p, Usage u) {
        return perToken(p.input(), u.uncachedInputTokens())
                + perToken(p.cachedInput(), u.cachedInputTokens())
                + perToken(p.cacheWrite5m(), u.cacheWrite5mTokens())
                + perToken(p.cacheWrite1h(), u.cacheWrite1hTokens())
                + perToken(p.output(), u.outputTokens());
    }

    /** Nano-dollars for {@code tokens} at {@code usdPerMillion}: usd/1e6 per token = usd*1e3 nanos per token. */
    private static long perToken(BigDecimal usdPerMillion, long tokens) {
        if (tokens == 0) {
            return 0;
        }
        return usdPerMillion.movePointRight(3).multiply(BigDecimal.valueOf(tokens))
                .setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }
}
