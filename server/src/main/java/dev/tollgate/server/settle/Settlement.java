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
import dev.tollgate.server.trace.RequestTrace;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The settle stage of one admitted request: its reservation becomes the real cost, once, from the
 * usage the exchange's tap reports, before the final event or body reaches the client (so a killed
 * gateway loses no spend), or when the request ends any other way (upstream failure, client gone),
 * charged then for what was reported and relayed. Money fails closed: an answer whose provider reported
 * no usage is charged its reservation, one that reported no input its counted input, and the request
 * log says so. Its rate-limit permit is released with the tokens used. Used by the request's own thread only.
 */
public final class Settlement implements Settle {

    private final Spend spend;
    private final RateLimits.Permit permit;
    private final Reservation reservation;
    private final Optional<Pricing> pricing;
    private final Estimate estimate;
    private final RequestTrace trace;
    private final dev.tollgate.server.session.Sessions.Hold session;
    private boolean settled;
    private long tokensUsed;

    public Settlement(Spend spend, Permit admitted) {
        this(spend, admitted, RequestTrace.detached());
    }

    /** @param trace told what was charged and why, for the request log */
    public Settlement(Spend spend, Permit admitted, RequestTrace trace) {
        this.spend = spend;
        this.permit = admitted.limits();
        this.reservation = admitted.reservation();
        this.pricing = admitted.pricing();
        this.estimate = admitted.estimate();
        this.trace = trace;
        this.session = admitted.session();
    }

    @Override
    public void beforeEvent(SseEvent event, Usage usageSoFar, LongSupplier outputRelayed) {
        if (settled || !StreamRelay.isFinal(event)) {
            return;
        }
        if (usageSoFar == Usage.NONE) {
            unreported(outputRelayed.getAsLong());
        } else {
            settle(withInput(usageSoFar), false);
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
            unreported(0);
        } else {
            settle(withInput(usage), false);
        }
    }

    @Override
    public void cutShort(Usage reportedSoFar, long outputRelayed, String why) {
        if (settled) {
            return;
        }
        Usage reported = reportedSoFar == null ? Usage.NONE : reportedSoFar;
        boolean inputReported = reported.inputTokens() > 0;
        long input = inputReported ? reported.inputTokens() : estimate.inputTokens();
        long output = Math.max(reported.outputTokens(), outputRelayed);
        Usage charged = new Usage(input, output, reported.cachedInputTokens(), reported.cacheWriteTokens(), reported.reasoningTokens(),
                reported.cacheWrite1hTokens(), reported.webSearches(), reported.serviceTier());
        trace.note("Stream cut short (" + why + "): charged " + input + " input tokens "
                + (inputReported ? "as the provider reported them" : "as counted by the gateway" + ratio())
                + " and " + output + " output tokens " + (output > outputRelayed ? "as the provider reported them." : "relayed to the client."));
        settle(charged, !inputReported || output > reported.outputTokens());
    }

    @Override
    public void finish(int status, Usage usage) {
        if (!settled) {
            boolean reported = usage != null && usage != Usage.NONE;
            settle(reported && status < 300 ? withInput(usage) : Usage.NONE, false);
        }
        permit.release(tokensUsed);
    }

    /** An answer the provider reported no usage for is charged what was reserved for it, never nothing. */
    private void unreported(long outputRelayed) {
        long output = Math.max(estimate.outputTokens(), outputRelayed);
        trace.note("The provider reported no usage: charged the reservation (" + estimate.inputTokens() + " input tokens counted by the gateway"
                + ratio() + ", " + output + " output tokens " + (output > estimate.outputTokens() ? "relayed" : "expected") + ").");
        settle(new Usage(estimate.inputTokens(), output, 0, 0, 0), true);
    }

    /** A usage that reports no input (missing or malformed fields) is charged the counted input instead. */
    private Usage withInput(Usage u) {
        if (u.inputTokens() > 0 || estimate.inputTokens() == 0) {
            return u;
        }
        trace.note("The provider reported no input tokens: charged " + estimate.inputTokens() + " as counted by the gateway" + ratio() + ".");
        return new Usage(estimate.inputTokens(), u.outputTokens(), u.cachedInputTokens(), u.cacheWriteTokens(), u.reasoningTokens(),
                u.cacheWrite1hTokens(), u.webSearches(), u.serviceTier());
    }

    private String ratio() {
        return estimate.inputTokens() == estimate.countedInput() ? ""
                : " (" + estimate.countedInput() + " counted, times the model's learned input ratio)";
    }

    private void settle(Usage usage, boolean estimated) {
        settled = true;
        tokensUsed = usage.totalTokens();
        // Priced in the tier the upstream says it served, else the one the request asked for.
        Usage priced = usage.serviceTier() == null ? usage.withServiceTier(estimate.serviceTier()) : usage;
        long cost = pricing.map(p -> Prices.cost(p, priced)).orElse(0L);
        spend.settle(reservation, new Charge(cost, usage, estimated), estimate.choices(), estimate.countedInput());
        if (session != null) {
            session.settle(cost);
        }
        trace.charged(usage, pricing.isPresent() ? BigDecimal.valueOf(cost, 9) : null);
        // Before the last bytes too: a client that sends its next request on seeing them finds the slot free.
        permit.release(tokensUsed);
    }
}
