package dev.tollgate.server.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Token limits take the estimate at admission and are corrected by real usage; a changed limit
 * reconfigures its bucket. Per-day limits, so refill during a test is negligible (a token per 14 minutes).
 */
class RateLimitsTest {

    private static KeyChain chain(long tokensPerMinute) throws Exception {
        PolicySnapshot policy = PolicyLoader.load(Map.of("p.yaml", ("""
                providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}]
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: k, team: infra, sha256: %s, limits: {tokens_per_day: %d}}
                """.formatted(Secrets.sha256("s"), tokensPerMinute)).getBytes(StandardCharsets.UTF_8)));
        return policy.keyBySecret("s").orElseThrow();
    }

    @Test
    void realUsageCorrectsTheEstimateTakenAtAdmission() throws Exception {
        RateLimits limits = new RateLimits();
        KeyChain chain = chain(100);
        RateLimits.Permit first = assertInstanceOf(RateLimits.Admitted.class, limits.admit(chain, 10)).permit();
        assertEquals(90, limits.remaining(dev.tollgate.server.budget.Level.KEY, "k", chain.key().governance().limits().getFirst()));
        first.release(95); // the answer was long: 85 more tokens than estimated
        assertEquals(5, limits.remaining(dev.tollgate.server.budget.Level.KEY, "k", chain.key().governance().limits().getFirst()));
        RateLimits.Refused refused = assertInstanceOf(RateLimits.Refused.class, limits.admit(chain, 10));
        assertEquals("100", refused.error().headers().get("x-ratelimit-limit-tokens"));
        assertEquals("5", refused.error().headers().get("x-ratelimit-remaining-tokens"));
        long retryAfter = Long.parseLong(refused.error().headers().get("Retry-After"));
        // A day's bucket of 100 refills a token every 14.4 minutes: 5 missing tokens are about 72 minutes away.
        assertTrue(retryAfter > 60 * 60 && retryAfter <= 5 * 864 + 1, "Retry-After " + retryAfter);

        RateLimits.Permit small = assertInstanceOf(RateLimits.Admitted.class, limits.admit(chain, 4)).permit();
        small.release(1); // a short answer gives back what it did not use
        assertEquals(4, limits.remaining(dev.tollgate.server.budget.Level.KEY, "k", chain.key().governance().limits().getFirst()));
    }

    @Test
    void anAdmittedRequestCarriesTheHeadersOfTheTightestLimitsAsItLeftThem() throws Exception {
        RateLimits limits = new RateLimits();
        KeyChain chain = chain(100);
        limits.admit(chain, 30);
        RateLimits.Permit second = assertInstanceOf(RateLimits.Admitted.class, limits.admit(chain, 10)).permit();
        assertEquals("100", second.headers().get("x-ratelimit-limit-tokens"));
        assertEquals("60", second.headers().get("x-ratelimit-remaining-tokens"));
        assertEquals(limits.headers(chain), second.headers(), "the same headers as read back from the buckets");
    }

    @Test
    void aChangedLimitReconfiguresItsBucketKeepingWhatWasUsed() throws Exception {
        RateLimits limits = new RateLimits();
        KeyChain before = chain(100);
        assertInstanceOf(RateLimits.Admitted.class, limits.admit(before, 50)).permit().release(50);
        KeyChain after = chain(1000); // the policy was reloaded with a higher limit
        long remaining = limits.remaining(dev.tollgate.server.budget.Level.KEY, "k", after.key().governance().limits().getFirst());
        assertTrue(remaining >= 500 && remaining < 1000, "half used before, half of the new size left: " + remaining);
    }
}
