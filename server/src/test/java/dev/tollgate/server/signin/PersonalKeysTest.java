package dev.tollgate.server.signin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Secrets;
import dev.tollgate.server.route.TestClock;
import dev.tollgate.server.shared.SharedRedis;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Issued keys: hashed, with their expiry; on one node they survive a restart, on several each node knows them. */
class PersonalKeysTest {

    @RegisterExtension
    static final SharedRedis redis = SharedRedis.withNodes(2);

    private static PersonalKey key(String secret, Instant issued, Duration ttl) {
        return new PersonalKey(Secrets.sha256(secret), "sub", "alice@example.com", List.of("eng"), issued, issued.plus(ttl));
    }

    @Test
    void oneNodeKeepsKeysHashedAcrossARestartAndForgetsExpiredOnes(@TempDir Path state) throws Exception {
        TestClock clock = new TestClock();
        LocalPersonalKeys keys = new LocalPersonalKeys(state, clock);
        keys.put(key("tgp-long", clock.instant(), Duration.ofHours(12)));
        keys.put(key("tgp-short", clock.instant(), Duration.ofMinutes(1)));
        String file = Files.readString(state.resolve(LocalPersonalKeys.FILE));
        assertFalse(file.contains("tgp-long"), "only the hash is stored");
        clock.advance(Duration.ofMinutes(2));
        LocalPersonalKeys restarted = new LocalPersonalKeys(state, clock);
        assertEquals("alice@example.com", restarted.byHash(Secrets.sha256("tgp-long")).orElseThrow().email());
        assertTrue(restarted.byHash(Secrets.sha256("tgp-short")).isEmpty());
    }

    @Test
    void aKeyIssuedOnOneNodeWorksOnAnotherUntilItExpires() throws Exception {
        Clock clock = Clock.systemUTC();
        new RedisPersonalKeys(redis.store(0), clock).put(key("tgp-shared", clock.instant(), Duration.ofSeconds(1)));
        RedisPersonalKeys other = new RedisPersonalKeys(redis.store(1), clock);
        assertEquals(List.of("eng"), other.byHash(Secrets.sha256("tgp-shared")).orElseThrow().groups());
        // Redis forgets it at its expiry (PX): poll rather than sleep a fixed time.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (other.byHash(Secrets.sha256("tgp-shared")).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(other.byHash(Secrets.sha256("tgp-shared")).isEmpty());
    }
}
