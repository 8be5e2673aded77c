package dev.tollgate.server.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.RateLimit;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.shared.SharedRedis;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two nodes' rate limits on one real redis-server (each node its own connection): buckets, their
 * reconfiguration and the in-flight cap are the same for both. Per-day limits, so refill is negligible.
 */
class SharedRateLimitsTest {

    @RegisterExtension
    static final SharedRedis redis = SharedRedis.withNodes(2);

    private static KeyChain chain(String key, String limits) throws Exception {
        return PolicyLoader.load(Map.of("p.yaml", ("""
                providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}]
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: %s, team: infra, sha256: %s, %s}
                """.formatted(key, Secrets.sha256("s"), limits)).getBytes(StandardCharsets.UTF_8))).keyBySecret("s").orElseThrow();
    }

    private static RateLimit first(KeyChain chain) {
        return chain.key().governance().limits().getFirst();
    }

    @Test
    void aTokenBucketIsOneAcrossNodesAndCorrectedByEither() throws Exception {
        RateLimits a = new RateLimits(redis.store(0), "a");
        RateLimits b = new RateLimits(redis.store(1), "b");
        KeyChain chain = chain("tokens", "limits: {tokens_per_day: 100}");
        RateLimits.Permit permit = assertInstanceOf(RateLimits.Admitted.class, a.admit(chain, 10)).permit();
        assertEquals(90, b.remaining(Level.KEY, "tokens", first(chain)));
        permit.release(95);
        assertEquals(5, b.remaining(Level.KEY, "tokens", first(chain)));
        RateLimits.Refused refused = assertInstanceOf(RateLimits.Refused.class, b.admit(chain, 10));
        assertEquals("5", refused.error().headers().get("x-ratelimit-remaining-tokens"));
    }

    @Test
    void aChangedLimitReconfiguresTheSharedBucketForEveryNode() throws Exception {
        RateLimits a = new RateLimits(redis.store(0), "a");
        KeyChain before = chain("resized", "limits: {tokens_per_day: 100}");
        assertInstanceOf(RateLimits.Admitted.class, a.admit(before, 50)).permit().release(50);
        // A node that starts after the policy raised the limit finds the bucket made under the old one.
        KeyChain after = chain("resized", "limits: {tokens_per_day: 1000}");
        RateLimits b = new RateLimits(redis.store(1), "b");
        long remaining = b.remaining(Level.KEY, "resized", first(after));
        assertTrue(remaining >= 500 && remaining < 1000, "half used before, half of the new size left: " + remaining);
        assertEquals(remaining, a.remaining(Level.KEY, "resized", first(after)), "the other node sees the same bucket");
    }

    @Test
    void maxConcurrentCountsRequestsInFlightOnEveryNode() throws Exception {
        RateLimits a = new RateLimits(redis.store(0), "a");
        RateLimits b = new RateLimits(redis.store(1), "b");
        KeyChain chain = chain("busy", "max_concurrent: 2");
        assertInstanceOf(RateLimits.Admitted.class, a.admit(chain, 1));
        RateLimits.Permit onB = assertInstanceOf(RateLimits.Admitted.class, b.admit(chain, 1)).permit();
        RateLimits.Refused full = assertInstanceOf(RateLimits.Refused.class, a.admit(chain, 1));
        assertTrue(full.error().message().contains("already has 2 requests in flight"), full.error().message());
        onB.release(1);
        onB.release(1); // idempotent: frees one slot, once
        assertInstanceOf(RateLimits.Admitted.class, a.admit(chain, 1));
        assertInstanceOf(RateLimits.Refused.class, b.admit(chain, 1));
    }
}
