package dev.tollgate.server.gate;

import dev.tollgate.policy.Pricing;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.BudgetRefusal;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.budget.Periods;
import dev.tollgate.server.budget.Prices;
import dev.tollgate.server.budget.SpendBook;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Reservation;
import java.time.LocalDate;
import java.util.Optional;

/**
 * The gate's decisions for recorded requests, in time order on a simulated clock: the same model
 * access check, token buckets ({@link RateLimits} on this clock) and budget book ({@link SpendBook})
 * the gateway runs, fed with what each request really used. Not thread-safe; one per replayed policy.
 *
 * <p>What a record cannot tell is not simulated: requests in flight ({@code max_concurrent}) need
 * overlaps the export does not hold, and a reservation is the request's real cost, not an estimate.
 */
public final class Simulator {

    /** Why a recorded request would be refused. */
    public enum Reason {
        KEY_REMOVED("key removed"), KEY_REVOKED("key revoked"), KEY_EXPIRED("key expired"), MODEL_NOT_ALLOWED("model not allowed"),
        MODEL_NOT_PRICED("model not priced"), RATE_LIMIT("rate limit"), BUDGET("budget run out");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public sealed interface Verdict {
    }

    /** {@code nanos}: what it costs under this policy's prices; {@code priced} false when the model has no price (then 0). */
    public record Admitted(KeyChain chain, Route route, long nanos, boolean priced) implements Verdict {
    }

    /** {@code day}: the UTC day it happened, which for a budget is the day it ran out. */
    public record Refused(Reason reason, String detail, LocalDate day) implements Verdict {
    }

    private long nowNanos;
    private final RateLimits limits = RateLimits.simulated(new io.github.bucket4j.TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return nowNanos;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    });
    private final SpendBook budgets = new SpendBook();
    private final ModelAccessCheck access = new ModelAccessCheck();
    private long reservations;
    private final java.util.Map<KeyChain, java.util.Map<String, Optional<String>>> refusals = new java.util.IdentityHashMap<>();

    /** Decides one request made at {@code atMillis}; records must come in time order. */
    public Verdict decide(PolicySnapshot policy, long atMillis, String keyId, String requestedModel, Usage usage) {
        nowNanos = Math.max(nowNanos, Math.multiplyExact(atMillis, 1_000_000L));
        long day = Periods.day(atMillis);
        LocalDate date = LocalDate.ofEpochDay(day);
        KeyChain chain = keyId == null ? null : policy.key(keyId).orElse(null);
        if (chain == null) {
            return new Refused(Reason.KEY_REMOVED, "key '" + keyId + "' is not in the policy", date);
        }
        if (chain.key().revoked()) {
            return new Refused(Reason.KEY_REVOKED, "key '" + keyId + "' is revoked", date);
        }
        java.time.Instant at = java.time.Instant.ofEpochMilli(atMillis);
        for (Principal level : chain.levels()) {
            if (level.governance().expiredAt(at)) {
                return new Refused(Reason.KEY_EXPIRED, Level.of(level).id() + " '" + level.id() + "' expired on "
                        + level.governance().expires().orElseThrow(), date);
            }
        }
        Route route = policy.resolve(requestedModel).orElse(null);
        String model = route == null ? requestedModel : route.model();
        // The globs' answer for a key and model never changes within one policy: asked once, not a million times.
        Optional<String> denied = refusals.computeIfAbsent(chain, c -> new java.util.HashMap<>()).computeIfAbsent(requestedModel,
                m -> access.refusal(chain, m).or(() -> model.equals(m) ? Optional.empty() : access.refusal(chain, model)));
        if (denied.isPresent()) {
            return new Refused(Reason.MODEL_NOT_ALLOWED, "'" + requestedModel + "': " + denied.get(), date);
        }
        Optional<Pricing> pricing = policy.priceOf(model);
        if (pricing.isEmpty() && !chain.mayUseUnpriced()) {
            return new Refused(Reason.MODEL_NOT_PRICED, "'" + requestedModel + "' has no price", date);
        }
        long nanos = pricing.map(p -> Prices.cost(p, usage)).orElse(0L);
        RateLimits.Permit permit;
        switch (limits.admit(chain, usage.inputTokens())) {
            case RateLimits.Admitted a -> permit = a.permit();
            case RateLimits.Refused r -> {
                String message = r.error().message();
                int retry = message.indexOf(" Retry in ");
                return new Refused(Reason.RATE_LIMIT, retry < 0 ? message : message.substring(0, retry), date);
            }
        }
        Reservation reservation = new Reservation(++reservations, atMillis, day, chain.key().id(), chain.team().id(), chain.customer().id(),
                model, nanos);
        Optional<BudgetRefusal> refusal = budgets.reserve(chain, model, nanos, day, reservation);
        if (refusal.isPresent()) {
            permit.release(0);
            return new Refused(Reason.BUDGET, refusal.get().message(), date);
        }
        budgets.settle(reservation, new Charge(nanos, usage, false));
        permit.release(usage.totalTokens());
        return new Admitted(chain, route, nanos, pricing.isPresent());
    }
}
