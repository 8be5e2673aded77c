package dev.tollgate.server.gate;

import dev.tollgate.policy.RateLimit;
import dev.tollgate.server.shared.LuaScript;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Buckets and in-flight counts in a Redis shared by several nodes: Bucket4j's Lettuce proxy manager
 * (compare-and-swap on one key per limit, expiring once the bucket would be full again), and per key
 * a sorted set of the requests in flight whose members drop out after {@link #SLOT_SAFETY} if their
 * node died before freeing them.
 */
final class RedisLimits implements LimitStore {

    private static final Logger LOG = Logger.getLogger(RedisLimits.class.getName());
    private static final LuaScript OCCUPY = LuaScript.load(RedisLimits.class, "occupy.lua");
    /** Longer than any request should run; a longer one stops counting against max_concurrent. */
    static final Duration SLOT_SAFETY = Duration.ofMinutes(10);

    private final SharedStore store;
    private final String node;
    private final String prefix;
    private final ConcurrentHashMap<RateLimits.LimitId, Limiter> limiters = new ConcurrentHashMap<>();
    /** The limit as the policy now has it: a bucket that expired is made again from it. */
    private final ConcurrentHashMap<RateLimits.LimitId, RateLimit> latest = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    private volatile ProxyManager<byte[]> proxies;

    RedisLimits(SharedStore store, String node, String prefix) {
        this.store = store;
        this.node = node;
        this.prefix = prefix;
    }

    @Override
    public Bucket bucket(RateLimits.LimitId id, RateLimit limit) {
        latest.put(id, limit);
        return limiters.computeIfAbsent(id, k -> {
            byte[] key = (prefix + "rl:" + id.level().id() + ":" + id.owner() + ":" + id.metric() + ":" + id.window())
                    .getBytes(StandardCharsets.UTF_8);
            ProxyManager<byte[]> p = proxies();
            // Another node (or this one before a restart) may have made it under an older amount.
            long stored = p.getProxyConfiguration(key).map(c -> c.getBandwidths()[0].getCapacity()).orElse(limit.amount());
            return new Limiter(p.builder().build(key, () -> LimitStore.configuration(latest.get(id))), stored);
        }).current(limit);
    }

    @Override
    public Optional<Slot> occupy(String keyId, int max) {
        String set = prefix + "if:" + keyId;
        String member = node + ":" + requests.incrementAndGet();
        Long taken = OCCUPY.run(store, ScriptOutputType.INTEGER, new String[] {set},
                Long.toString(System.currentTimeMillis()), Long.toString(SLOT_SAFETY.toMillis()), Integer.toString(max), member);
        if (taken == 0) {
            return Optional.empty();
        }
        return Optional.of(() -> {
            try {
                store.call(redis -> redis.zrem(set, member));
            } catch (StoreUnreachable e) {
                LOG.fine(() -> "slot " + member + " stays taken until Redis drops it: " + e.getMessage());
            }
        });
    }

    @Override
    public RuntimeException failure(RuntimeException e) {
        return e instanceof StoreUnreachable ? e : new StoreUnreachable("Redis at " + store.where() + " (rate limits)", e, true);
    }

    private ProxyManager<byte[]> proxies() {
        ProxyManager<byte[]> p = proxies;
        if (p == null) {
            synchronized (this) {
                if (proxies == null) {
                    proxies = Bucket4jLettuce.casBasedBuilder(store.bytes())
                            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1)))
                            .requestTimeout(SharedStore.TIMEOUT)
                            .build();
                }
                p = proxies;
            }
        }
        return p;
    }
}
