package dev.tollgate.server.gate;

import dev.tollgate.policy.RateLimit;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.util.Optional;

/**
 * Where the token buckets and the in-flight counts live: in this process ({@link LocalLimits}) or
 * in a Redis shared by several nodes ({@link RedisLimits}).
 */
sealed interface LimitStore permits LocalLimits, RedisLimits {

    /** The bucket of one limit, reconfigured first when the policy changed its amount (what was used kept in proportion). */
    Bucket bucket(RateLimits.LimitId id, RateLimit limit);

    /** Takes one of a key's {@code max} slots in flight; empty when all are taken. */
    Optional<Slot> occupy(String keyId, int max);

    /** What a failure of this store's buckets means to the caller (a shared store turns it into StoreUnreachable). */
    RuntimeException failure(RuntimeException e);

    /** A request's place in its key's in-flight count. */
    interface Slot {
        void free();
    }

    /** A bucket and the amount it is configured for. */
    final class Limiter {
        final Bucket bucket;
        private volatile long amount;

        Limiter(Bucket bucket, long amount) {
            this.bucket = bucket;
            this.amount = amount;
        }

        Bucket current(RateLimit limit) {
            if (amount != limit.amount()) {
                bucket.replaceConfiguration(configuration(limit), TokensInheritanceStrategy.PROPORTIONALLY);
                amount = limit.amount();
            }
            return bucket;
        }
    }

    static BucketConfiguration configuration(RateLimit limit) {
        return BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(limit.amount()).refillGreedy(limit.amount(), limit.window().length()).build())
                .build();
    }
}
