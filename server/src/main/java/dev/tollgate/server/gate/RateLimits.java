package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.RateLimit;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.spend.Level;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests and tokens per minute, hour and day at key, team and customer level (Bucket4j token
 * buckets, refilled greedily), and the cap on a key's requests in flight. Buckets are keyed by level,
 * id and limit, not by policy objects, so they survive policy swaps; a limit whose amount changed
 * gets its bucket reconfigured, keeping what was used in proportion.
 */
public final class RateLimits {

    record LimitId(Level level, String owner, RateLimit.Metric metric, RateLimit.Window window) {
    }

    private static final class Limiter {
        final Bucket bucket;
        volatile long amount;

        Limiter(long amount, RateLimit.Window window) {
            this.amount = amount;
            this.bucket = Bucket.builder().addLimit(bandwidth(amount, window)).build();
        }
    }

    /** What one admitted request holds: token buckets charged with its estimate, and its slot in flight. */
    public static final class Permit {
        private final List<Bucket> tokenBuckets;
        private final List<Long> tokensTaken;
        private final AtomicInteger inFlight;
        private boolean released;

        Permit(List<Bucket> tokenBuckets, List<Long> tokensTaken, AtomicInteger inFlight) {
            this.tokenBuckets = tokenBuckets;
            this.tokensTaken = tokensTaken;
            this.inFlight = inFlight;
        }

        /** Corrects the token buckets to the tokens really used and frees the slot in flight. */
        public void release(long tokensUsed) {
            if (released) {
                return;
            }
            released = true;
            for (int i = 0; i < tokenBuckets.size(); i++) {
                Bucket b = tokenBuckets.get(i);
                long correction = tokensUsed - tokensTaken.get(i);
                if (correction > 0) {
                    b.consumeIgnoringRateLimits(correction);
                } else if (correction < 0) {
                    b.addTokens(-correction);
                }
            }
            if (inFlight != null) {
                inFlight.decrementAndGet();
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

    static final Permit NO_LIMITS = new Permit(List.of(), List.of(), null);

    private final ConcurrentHashMap<LimitId, Limiter> limiters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    Outcome admit(KeyChain chain, long estimatedTokens) {
        boolean anyLimit = chain.key().governance().maxConcurrent().isPresent();
        for (Principal p : chain.levels()) {
            anyLimit |= !p.governance().limits().isEmpty();
        }
        if (!anyLimit) {
            return new Admitted(NO_LIMITS);
        }
        AtomicInteger slot = null;
        var max = chain.key().governance().maxConcurrent();
        if (max.isPresent()) {
            slot = inFlight.computeIfAbsent(chain.key().id(), k -> new AtomicInteger());
            if (slot.incrementAndGet() > max.getAsInt()) {
                slot.decrementAndGet();
                return new Refused(new GatewayError.RateLimited("Key '" + chain.key().id() + "' already has " + max.getAsInt()
                        + " requests in flight, its max_concurrent; retry when one finishes.", Map.of("Retry-After", "1")));
            }
        }
        List<Bucket> requestsTaken = new ArrayList<>(3);
        List<Bucket> tokensTaken = new ArrayList<>(3);
        List<Long> tokenAmounts = new ArrayList<>(3);
        for (Principal p : chain.levels()) {
            for (RateLimit limit : p.governance().limits()) {
                Limiter limiter = limiter(Level.of(p), p.id(), limit);
                boolean requests = limit.metric() == RateLimit.Metric.REQUESTS;
                // A request larger than a whole bucket could never pass; it takes the whole bucket instead.
                long take = requests ? 1 : Math.min(Math.max(estimatedTokens, 1), limit.amount());
                ConsumptionProbe probe = limiter.bucket.tryConsumeAndReturnRemaining(take);
                if (!probe.isConsumed()) {
                    requestsTaken.forEach(b -> b.addTokens(1));
                    for (int i = 0; i < tokensTaken.size(); i++) {
                        tokensTaken.get(i).addTokens(tokenAmounts.get(i));
                    }
                    if (slot != null) {
                        slot.decrementAndGet();
                    }
                    return new Refused(refusal(chain, Level.of(p), p.id(), limit, probe));
                }
                if (requests) {
                    requestsTaken.add(limiter.bucket);
                } else {
                    tokensTaken.add(limiter.bucket);
                    tokenAmounts.add(take);
                }
            }
        }
        return new Admitted(new Permit(tokensTaken, tokenAmounts, slot));
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
     */
    public Map<String, String> headers(KeyChain chain) {
        Map<String, String> out = new LinkedHashMap<>();
        for (RateLimit.Metric metric : RateLimit.Metric.values()) {
            RateLimit tightest = null;
            long remaining = Long.MAX_VALUE;
            Limiter tightestLimiter = null;
            for (Principal p : chain.levels()) {
                for (RateLimit limit : p.governance().limits()) {
                    if (limit.metric() != metric) {
                        continue;
                    }
                    Limiter l = limiter(Level.of(p), p.id(), limit);
                    long available = Math.max(0, l.bucket.getAvailableTokens());
                    if (available < remaining) {
                        remaining = available;
                        tightest = limit;
                        tightestLimiter = l;
                    }
                }
            }
            if (tightest != null) {
                String name = metric == RateLimit.Metric.REQUESTS ? "requests" : "tokens";
                long missing = tightest.amount() - remaining;
                long resetMillis = missing <= 0 ? 0 : (long) Math.ceil((double) missing * tightest.window().length().toMillis() / tightest.amount());
                out.put("x-ratelimit-limit-" + name, String.valueOf(tightest.amount()));
                out.put("x-ratelimit-remaining-" + name, String.valueOf(remaining));
                out.put("x-ratelimit-reset-" + name, duration(resetMillis));
            }
        }
        return out;
    }

    /** Remaining in one limit of an owner, for usage reports. */
    public long remaining(Level level, String owner, RateLimit limit) {
        return Math.max(0, limiter(level, owner, limit).bucket.getAvailableTokens());
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

    private Limiter limiter(Level level, String owner, RateLimit limit) {
        LimitId id = new LimitId(level, owner, limit.metric(), limit.window());
        Limiter l = limiters.computeIfAbsent(id, k -> new Limiter(limit.amount(), limit.window()));
        if (l.amount != limit.amount()) {
            l.bucket.replaceConfiguration(BucketConfiguration.builder().addLimit(bandwidth(limit.amount(), limit.window())).build(),
                    TokensInheritanceStrategy.PROPORTIONALLY);
            l.amount = limit.amount();
        }
        return l;
    }

    private static Bandwidth bandwidth(long amount, RateLimit.Window window) {
        return Bandwidth.builder().capacity(amount).refillGreedy(amount, window.length()).build();
    }
}
