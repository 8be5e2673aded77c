package dev.tollgate.server.gate;

import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.relay.StreamRelay;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.budget.Estimate;
import dev.tollgate.server.settle.Meter;
import dev.tollgate.server.budget.Prices;
import dev.tollgate.server.ledger.Reservation;
import dev.tollgate.server.budget.Spend;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * An admitted request's hold on limits and budgets, until it settles. Settling happens once:
 * before the final event or body reaches the client, or when the request ends any other way. Used by
 * the request's own thread only.
 */
public final class Pass implements Meter {

    private static final byte[] DELTA = "delta\"".getBytes(StandardCharsets.US_ASCII);

    private final Spend spend;
    private final RateLimits.Permit permit;
    private final Reservation reservation;
    private final Optional<Pricing> pricing;
    private final Estimate estimate;
    private boolean settled;
    private long tokensUsed;
    private long deltas;

    Pass(Spend spend, RateLimits.Permit permit, Reservation reservation, Optional<Pricing> pricing, Estimate estimate) {
        this.spend = spend;
        this.permit = permit;
        this.reservation = reservation;
        this.pricing = pricing;
        this.estimate = estimate;
    }

    /** The rate-limit headers every answer to this request carries. */
    public java.util.Map<String, String> rateLimitHeaders() {
        return permit.headers();
    }

    @Override
    public void beforeEvent(SseEvent event, Usage usageSoFar) {
        if (settled) {
            return;
        }
        if (StreamRelay.isFinal(event)) {
            settle(usageSoFar == Usage.NONE ? cutShort() : usageSoFar, usageSoFar == Usage.NONE);
        } else if (event.contains(DELTA)) {
            deltas++;
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
            // A provider that reports no usage is charged the estimate rather than nothing.
            settle(new Usage(estimate.inputTokens(), estimate.outputTokens(), 0, 0, 0), true);
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
        return new Usage(input, output, u.cachedInputTokens(), u.cacheWriteTokens(), u.reasoningTokens(), u.cacheWrite1hTokens(), u.webSearches());
    }

    private void settle(Usage usage, boolean estimated) {
        settled = true;
        tokensUsed = usage.totalTokens();
        long cost = pricing.map(p -> Prices.cost(p, usage)).orElse(0L);
        spend.settle(reservation, new Charge(cost, usage, estimated), estimate.choices());
        // Before the last bytes too: a client that sends its next request on seeing them finds the slot free.
        permit.release(tokensUsed);
    }

    public Reservation reservation() {
        return reservation;
    }
}
