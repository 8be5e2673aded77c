package dev.tollgate.server.settle;

import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.relay.StreamRelay;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.Estimate;
import dev.tollgate.server.budget.Prices;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.gate.Permit;
import dev.tollgate.server.gate.RateLimits;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Reservation;
import java.util.Optional;

/**
 * The settle stage of one admitted request: its reservation becomes the real cost, once, from the
 * usage the exchange's tap reports, before the final event or body reaches the client (so a killed
 * gateway loses no spend), or when the request ends any other way (upstream failure, client gone),
 * charged then for what was generated. Its rate-limit permit is released with the tokens used. Used by
 * the request's own thread only.
 */
public final class Settlement implements Settle {

    private final Spend spend;
    private final RateLimits.Permit permit;
    private final Reservation reservation;
    private final Optional<Pricing> pricing;
    private final Estimate estimate;
    private boolean settled;
    private long tokensUsed;
    private long deltas;

    public Settlement(Spend spend, Permit admitted) {
        this.spend = spend;
        this.permit = admitted.limits();
        this.reservation = admitted.reservation();
        this.pricing = admitted.pricing();
        this.estimate = admitted.estimate();
    }

    @Override
    public void beforeEvent(SseEvent event, Usage usageSoFar, long deltasSoFar) {
        if (settled) {
            return;
        }
        deltas = deltasSoFar;
        if (StreamRelay.isFinal(event)) {
            // An answer that ends without readable usage is never free: it costs what was reserved.
            settle(usageSoFar == Usage.NONE ? reserved() : usageSoFar, usageSoFar == Usage.NONE);
        }
    }

    @Override
    public void beforeBody(int status, Usage usage) {
        if (settled) {
            return;
        }
        if (status >= 300) {
            settle(Usage.NONE, false);
        } else if (usage == Usage.NONE) {
            // A provider that reports no usage (or usage nobody can read) is charged the estimate rather than nothing.
            settle(reserved(), true);
        } else {
            settle(usage, false);
        }
    }

    @Override
    public void finish(int status, Usage usage) {
        if (!settled) {
            boolean reported = usage != null && usage != Usage.NONE;
            settle(reported ? atLeastWhatWasSeen(usage) : cutShort(), !reported && deltas > 0);
        }
        permit.release(tokensUsed);
    }

    /** What was reserved, in tokens, and at least a token per content delta relayed. */
    private Usage reserved() {
        return new Usage(estimate.inputTokens(), Math.max(estimate.outputTokens(), deltas), 0, 0, 0);
    }

    /**
     * A stream that ended without usage (client gone, upstream broke) is charged its counted input and
     * one token per content delta relayed: providers stream about a token per delta.
     */
    private Usage cutShort() {
        return deltas == 0 ? Usage.NONE : new Usage(estimate.inputTokens(), deltas, 0, 0, 0);
    }

    /**
     * Usage of an answer cut short, as far as the provider had reported it: the input counted here
     * when none was reported yet (an OpenAI stream reports it only at its end), and at least a token
     * per delta relayed.
     */
    private Usage atLeastWhatWasSeen(Usage u) {
        long input = u.inputTokens() > 0 ? u.inputTokens() : estimate.inputTokens();
        long output = Math.max(u.outputTokens(), deltas);
        if (input == u.inputTokens() && output == u.outputTokens()) {
            return u;
        }
        return new Usage(input, output, u.cachedInputTokens(), u.cacheWriteTokens(), u.reasoningTokens(), u.cacheWrite1hTokens(), u.webSearches(),
                u.serviceTier());
    }

    private void settle(Usage usage, boolean estimated) {
        settled = true;
        tokensUsed = usage.totalTokens();
        // Priced in the tier the upstream says it served, else the one the request asked for.
        Usage priced = usage.serviceTier() == null ? usage.withServiceTier(estimate.serviceTier()) : usage;
        long cost = pricing.map(p -> Prices.cost(p, priced)).orElse(0L);
        spend.settle(reservation, new Charge(cost, usage, estimated), estimate.choices(), estimate.countedInput());
        // Before the last bytes too: a client that sends its next request on seeing them finds the slot free.
        permit.release(tokensUsed);
    }

}
