package dev.tollgate.providers.google;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenCacheTest {

    /** A clock the test moves by hand. */
    private static final class HandClock extends Clock {
        private volatile Instant now = Instant.parse("2026-11-25T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** Issues token-1, token-2, ... each living an hour; optionally holds each fetch until released. */
    private static final class Issuer implements TokenCache.Fetch {
        final AtomicInteger fetches = new AtomicInteger();
        final HandClock clock;
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch started = new CountDownLatch(1);

        Issuer(HandClock clock) {
            this.clock = clock;
        }

        @Override
        public TokenCache.Token fetch() throws IOException {
            int n = fetches.incrementAndGet();
            started.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return new TokenCache.Token("token-" + n, clock.instant().plus(Duration.ofHours(1)));
        }
    }

    @Test
    void aCachedTokenIsReusedAndAnExpiredOneIsFetchedOnceAgain() throws Exception {
        HandClock clock = new HandClock();
        Issuer issuer = new Issuer(clock);
        TokenCache cache = new TokenCache(issuer, clock);
        assertEquals("token-1", cache.get());
        clock.advance(Duration.ofMinutes(30));
        assertEquals("token-1", cache.get());
        assertEquals(1, issuer.fetches.get());

        clock.advance(Duration.ofHours(2)); // expiry in the past
        assertEquals("token-2", cache.get());
        assertEquals("token-2", cache.get());
        assertEquals(2, issuer.fetches.get());
    }

    @Test
    void concurrentCallersWithoutATokenShareOneFetch() throws Exception {
        HandClock clock = new HandClock();
        Issuer issuer = new Issuer(clock);
        issuer.gate = new CountDownLatch(1);
        TokenCache cache = new TokenCache(issuer, clock);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                answers.add(pool.submit(cache::get));
            }
            issuer.started.await(5, TimeUnit.SECONDS);
            issuer.gate.countDown();
            for (Future<String> a : answers) {
                assertEquals("token-1", a.get(5, TimeUnit.SECONDS));
            }
        }
        assertEquals(1, issuer.fetches.get());
    }

    @Test
    void pastTheRefreshPointCallersGetTheCachedTokenWhileOneFetchRunsBehindThem() throws Exception {
        HandClock clock = new HandClock();
        Issuer issuer = new Issuer(clock);
        TokenCache cache = new TokenCache(issuer, clock);
        assertEquals("token-1", cache.get());

        issuer.gate = new CountDownLatch(1); // the background fetch hangs until released
        clock.advance(Duration.ofMinutes(57)); // within 5 minutes of expiry: refresh, but the token still works
        for (int i = 0; i < 10; i++) {
            assertEquals("token-1", cache.get(), "no caller waits on the fetch");
        }
        issuer.gate.countDown();
        String next = cache.get();
        for (int i = 0; i < 200 && next.equals("token-1"); i++) {
            Thread.sleep(5); // the background fetch lands between these calls
            next = cache.get();
        }
        assertEquals("token-2", next);
        assertEquals(2, issuer.fetches.get());
    }

    @Test
    void aRefusedFetchReachesEveryWaiterAndTheNextCallTriesAgain() throws Exception {
        HandClock clock = new HandClock();
        AtomicInteger calls = new AtomicInteger();
        TokenCache cache = new TokenCache(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IOException("invalid_grant");
            }
            return new TokenCache.Token("token-ok", clock.instant().plusSeconds(5));
        }, clock);
        assertEquals("invalid_grant", assertThrows(IOException.class, cache::get).getMessage());
        assertEquals("token-ok", cache.get());
        clock.advance(Duration.ofMillis(4600)); // a 5-second token is past its safety margin at 4.5 s
        cache.get();
        assertEquals(3, calls.get());
    }

    @Test
    void aFailedRenewalIsRetriedAfterAPauseWhileTheOldTokenServes() throws Exception {
        HandClock clock = new HandClock();
        AtomicInteger calls = new AtomicInteger();
        TokenCache cache = new TokenCache(() -> {
            int n = calls.incrementAndGet();
            if (n == 2) {
                throw new IOException("token endpoint down");
            }
            return new TokenCache.Token("token-" + n, clock.instant().plus(Duration.ofHours(1)));
        }, clock, Runnable::run); // each fetch runs inside the call that starts it
        assertEquals("token-1", cache.get());
        clock.advance(Duration.ofMinutes(56)); // past the refresh point, 3 minutes before the safety margin
        assertEquals("token-1", cache.get(), "the renewal failed; the old token still serves");
        assertEquals(2, calls.get());
        for (int i = 0; i < 20; i++) {
            assertEquals("token-1", cache.get());
        }
        assertEquals(2, calls.get(), "no new fetch during the pause");
        clock.advance(Duration.ofSeconds(11));
        assertEquals("token-1", cache.get(), "this call starts the renewal and is answered with the token it had");
        assertEquals("token-3", cache.get());
        assertEquals(3, calls.get());
    }
}
