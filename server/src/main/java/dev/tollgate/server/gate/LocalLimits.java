package dev.tollgate.server.gate;

import dev.tollgate.policy.RateLimit;
import io.github.bucket4j.Bucket;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Buckets and in-flight counts in this process: one node alone. */
final class LocalLimits implements LimitStore {

    private final ConcurrentHashMap<RateLimits.LimitId, Limiter> limiters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    /** Null: the system clock. A replay refills the buckets on its simulated clock. */
    private final io.github.bucket4j.TimeMeter clock;

    LocalLimits() {
        this(null);
    }

    LocalLimits(io.github.bucket4j.TimeMeter clock) {
        this.clock = clock;
    }

    @Override
    public Bucket bucket(RateLimits.LimitId id, RateLimit limit) {
        return limiters.computeIfAbsent(id, k -> new Limiter(builder().addLimit(LimitStore.configuration(limit).getBandwidths()[0]).build(),
                limit.amount())).current(limit);
    }

    private io.github.bucket4j.local.LocalBucketBuilder builder() {
        return clock == null ? Bucket.builder() : Bucket.builder().withCustomTimePrecision(clock);
    }

    @Override
    public Optional<Slot> occupy(String keyId, int max) {
        AtomicInteger count = inFlight.computeIfAbsent(keyId, k -> new AtomicInteger());
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return Optional.empty();
        }
        return Optional.of(count::decrementAndGet);
    }

    @Override
    public RuntimeException failure(RuntimeException e) {
        return e;
    }
}
