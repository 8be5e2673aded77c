package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.RateLimit;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.shared.SharedStore;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Requests and tokens per minute, hour and day at key, team and customer level (Bucket4j token
 * buckets, refilled greedily), and the cap on a key's requests in flight; in this process, or shared
 * by several nodes through Redis. Buckets are keyed by level, id and limit, not by policy objects, so
 * they survive policy swaps; a limit whose amount changed gets its bucket reconfigured, keeping what
 * was used in proportion.
 */
public final class RateLimits {

    private static final Logger LOG = Logger.getLogger(RateLimits.class.getName());

    record LimitId(Level level, String owner, RateLimit.Metric metric, RateLimit.Window window) {
    }

    /** What one admitted request holds: token buckets charged with its estimate, and its slot in flight. */
    public static final class Permit {
        private final List<Bucket> tokenBuckets;
        private final List<Long> tokensTaken;
        private final LimitStore.Slot slot;
        private final Map<String, String> headers;
        private boolean released;

        Permit(List<Bucket> tokenBuckets, List<Long> tokensTaken, LimitStore.Slot slot, Map<String, String> headers) {
            this.tokenBuckets = tokenBuckets;
            this.tokensTaken = tokensTaken;
            this.slot = slot;
            this.headers = headers;
        }

        /** OpenAI's rate-limit headers as this request's admission left the buckets (see {@link RateLimits#headers}). */
        public Map<String, String> headers() {
            return headers;
        }

        /** Corrects the token buckets to the tokens really used and frees the slot in flight. */
        public void release(long tokensUsed) {
            if (released) {
                return;
            }
            released = true;
            try {
                for (int i = 0; i < tokenBuckets.size(); i++) {
                    Bucket b = tokenBuckets.get(i);
                    long correction = tokensUsed - tokensTaken.get(i);
                    if (correction > 0) {
                        b.consumeIgnoringRateLimits(correction);
                    } else if (correction < 0) {
                        b.addTokens(-correction);
                    }
                }
            } catch (RuntimeException e) {
                // A shared store that went away: the correction is lost, the buckets refill anyway.
                LOG.fine(() -> "token buckets not corrected: " + e.getMessage());
            }
            if (slot != null) {
                slot.free();
            }
        }
    }

    /** Admitted with a permit, or refused with the 429. */
    sealed interface Outcome {
    }

    record Admitted(Permit permit) implements Outcome {
    }

    record Refused(GatewayError.RateLimited error) implements Outcome {
    }

    static final Permit NO_LIMITS = new Permit(List.of(), List.of(), null, Map.of());

    private final LimitStore store;

    /** One node: buckets in this process. */
    public RateLimits() {
        this.store = new LocalLimits();
    }

    /** One node's buckets refilled on {@code clock}: a replay's simulated time. */
    static RateLimits simulated(io.github.bucket4j.TimeMeter clock) {
        return new RateLimits(new LocalLimits(clock));
    }

    private RateLimits(LimitStore store) {
        this.store = store;
    }

    /** Shared by every node using {@code shared}; {@code node} names this one. */
    public RateLimits(SharedStore shared, String node) {
        this.store = new RedisLimits(shared, node, "tollgate:");
    }

    /** @throws dev.tollgate.server.shared.StoreUnreachable when the shared store does not answer */
    Outcome admit(KeyChain chain, long estimatedTokens) {
        boolean anyLimit = chain.key().governance().maxConcurrent().isPresent();
        for (Principal p : chain.levels()) {
            anyLimit |= !p.governance().limits().isEmpty();
        }
        if (!anyLimit) {
            return new Admitted(NO_LIMITS);
        }
        LimitStore.Slot slot = null;
        var max = chain.key().governance().maxConcurrent();
        if (max.isPresent()) {
            Optional<LimitStore.Slot> taken = store.occupy(chain.key().id(), max.getAsInt());
            if (taken.isEmpty()) {
                return new Refused(new GatewayError.RateLimited("Key '" + chain.key().id() + "' already has " + max.getAsInt()
                        + " requests in flight, its max_concurrent; retry when one finishes.", Map.of("Retry-After", "1")));
            }
            slot = taken.get();
        }
        List<Bucket> requestsTaken = new ArrayList<>(3);
        List<Bucket> tokensTaken = new ArrayList<>(3);
        List<Long> tokenAmounts = new ArrayList<>(3);
        Permit undo = new Permit(tokensTaken, tokenAmounts, slot, Map.of());
        Tightest tightest = new Tightest();
        try {
            for (Principal p : chain.levels()) {
                for (RateLimit limit : p.governance().limits()) {
                    Bucket bucket = bucket(Level.of(p), p.id(), limit);
                    boolean requests = limit.metric() == RateLimit.Metric.REQUESTS;
                    // A request larger than a whole bucket could never pass; it takes the whole bucket instead.
                    long take = requests ? 1 : Math.min(Math.max(estimatedTokens, 1), limit.amount());
                    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(take);
                    if (!probe.isConsumed()) {
                        requestsTaken.forEach(b -> b.addTokens(1));
                        undo.release(0);
                        return new Refused(refusal(chain, Level.of(p), p.id(), limit, probe));
                    }
                    tightest.offer(limit, probe.getRemainingTokens());
                    if (requests) {
                        requestsTaken.add(bucket);
                    } else {
                        tokensTaken.add(bucket);
                        tokenAmounts.add(take);
                    }
                }
            }
        } catch (RuntimeException e) {
            undo.release(0);
            throw store.failure(e);
        }
        return new Admitted(new Permit(tokensTaken, tokenAmounts, slot, tightest.headers()));
    }

    private GatewayError.RateLimited refusal(KeyChain chain, Level level, String owner, RateLimit limit, ConsumptionProbe probe) {
        long retryAfter = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        String metric = limit.metric() == RateLimit.Metric.REQUESTS ? "requests" : "tokens";
        Map<String, String> headers = new LinkedHashMap<>(headers(chain));
        headers.put("Retry-After", String.valueOf(retryAfter));
        String message = "Rate limit of " + level.id() + " '" + owner + "' reached: " + limit.amount() + " " + metric + " per "
                + limit.window().name().toLowerCase() + " (" + limit.field() + "). Retry in " + retryAfter + " s.";
        return new GatewayError.RateLimited(message, headers);
    }

    /**
     * OpenAI's rate-limit headers for the tightest requests and tokens limits of the chain:
     * {@code x-ratelimit-limit-requests}, {@code -remaining-requests}, {@code -reset-requests} (and -tokens).
     * Empty when a shared store does not answer: they inform, they decide nothing.
     */
    public Map<String, String> headers(KeyChain chain) {
        Tightest tightest = new Tightest();
        try {
            for (Principal p : chain.levels()) {
                for (RateLimit limit : p.governance().limits()) {
                    tightest.offer(limit, bucket(Level.of(p), p.id(), limit).getAvailableTokens());
                }
            }
        } catch (RuntimeException e) {
            LOG.fine(() -> "rate-limit headers left out: " + e.getMessage());
            return Map.of();
        }
        return tightest.headers();
    }

    /** The limit with the least left, per metric. */
    private static final class Tightest {
        private final RateLimit[] limit = new RateLimit[RateLimit.Metric.values().length];
        private final long[] remaining = new long[limit.length];

        void offer(RateLimit l, long available) {
            int m = l.metric().ordinal();
            long left = Math.max(0, available);
            if (limit[m] == null || left < remaining[m]) {
                limit[m] = l;
                remaining[m] = left;
            }
        }

        Map<String, String> headers() {
            Map<String, String> out = new LinkedHashMap<>();
            for (RateLimit.Metric metric : RateLimit.Metric.values()) {
                RateLimit tightest = limit[metric.ordinal()];
                if (tightest != null) {
                    String name = metric == RateLimit.Metric.REQUESTS ? "requests" : "tokens";
                    long left = remaining[metric.ordinal()];
                    long missing = tightest.amount() - left;
                    long resetMillis = missing <= 0 ? 0 : (long) Math.ceil((double) missing * tightest.window().length().toMillis() / tightest.amount());
                    out.put("x-ratelimit-limit-" + name, String.valueOf(tightest.amount()));
                    out.put("x-ratelimit-remaining-" + name, String.valueOf(left));
                    out.put("x-ratelimit-reset-" + name, duration(resetMillis));
                }
            }
            return out;
        }
    }

    /**
     * Remaining in one limit of an owner, for usage reports.
     *
     * @throws dev.tollgate.server.shared.StoreUnreachable when the shared store does not answer
     */
    public long remaining(Level level, String owner, RateLimit limit) {
        try {
            return Math.max(0, bucket(level, owner, limit).getAvailableTokens());
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
    }

    /** OpenAI's reset format: "1s", "6m0s", "1h2m3s", "250ms". */
    static String duration(long millis) {
        if (millis < 1000) {
            return millis + "ms";
        }
        long s = (millis + 999) / 1000;
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return (h > 0 ? h + "h" : "") + (h > 0 || m > 0 ? m + "m" : "") + sec + "s";
    }

    private Bucket bucket(Level level, String owner, RateLimit limit) {
        return store.bucket(new LimitId(level, owner, limit.metric(), limit.window()), limit);
    }
}
