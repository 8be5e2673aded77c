package dev.tollgate.providers.google;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One OAuth access token, fetched when first needed and again before it expires. A caller never
 * waits while the cached token is still usable: past its refresh point, one background fetch
 * replaces it. Only a missing or nearly expired token makes callers wait, and then all of them wait
 * on the same fetch, so a burst of requests never stampedes the token endpoint.
 */
public final class TokenCache {

    private static final Logger LOG = Logger.getLogger(TokenCache.class.getName());

    /** An access token and when the issuer says it stops working. */
    public record Token(String value, Instant expiresAt) {
    }

    /** Gets a new token from the issuer; called by one thread at a time. */
    @FunctionalInterface
    public interface Fetch {
        Token fetch() throws IOException;
    }

    /**
     * A token with the moments that matter: from {@code refreshAt} a background fetch starts, after
     * {@code usableUntil} callers wait for a new one (a request must not reach the provider with a
     * token that dies on the way).
     */
    private record Held(Token token, Instant refreshAt, Instant usableUntil) {
    }

    private final Fetch fetch;
    private final Clock clock;
    private final Executor fetcher;
    private final Object lock = new Object();
    private volatile Held held;
    private CompletableFuture<Held> inflight; // guarded by lock

    public TokenCache(Fetch fetch, Clock clock) {
        this(fetch, clock, task -> Thread.ofVirtual().name("oauth-token-fetch").start(task));
    }

    /** @param fetcher runs each fetch (tests pass one that runs it on the spot) */
    TokenCache(Fetch fetch, Clock clock, Executor fetcher) {
        this.fetch = fetch;
        this.clock = clock;
        this.fetcher = fetcher;
    }

    /** A token valid now: the cached one if usable, else the result of the one fetch under way. */
    public String get() throws IOException {
        Held h = held;
        Instant now = clock.instant();
        if (h != null && now.isBefore(h.usableUntil())) {
            if (!now.isBefore(h.refreshAt())) {
                refresh(); // the answer waits for nothing; the next callers get the new token
            }
            return h.token().value();
        }
        return await(refresh()).token().value();
    }

    private CompletableFuture<Held> refresh() {
        synchronized (lock) {
            if (inflight != null) {
                return inflight;
            }
            // A fetch may have finished since the caller looked: then its token is the answer.
            Held h = held;
            if (h != null && clock.instant().isBefore(h.refreshAt())) {
                return CompletableFuture.completedFuture(h);
            }
            CompletableFuture<Held> started = new CompletableFuture<>();
            inflight = started;
            fetcher.execute(() -> run(started));
            return started;
        }
    }

    private void run(CompletableFuture<Held> result) {
        try {
            Instant asked = clock.instant();
            Held fresh = hold(fetch.fetch(), asked);
            held = fresh;
            synchronized (lock) {
                inflight = null;
            }
            result.complete(fresh);
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                inflight = null; // the next caller tries again
            }
            Held current = held;
            Instant now = clock.instant();
            if (current != null && now.isBefore(current.usableUntil())) {
                // Try again after a pause, not on every call, while the current token still serves.
                Duration pause = min(Duration.ofSeconds(10), Duration.between(now, current.usableUntil()).dividedBy(2));
                held = new Held(current.token(), now.plus(pause), current.usableUntil());
                LOG.log(Level.WARNING, "renewing an access token failed; the current one stays in use until it expires: " + e.getMessage());
            }
            result.completeExceptionally(e);
        }
    }

    /** Margins scale with the token's lifetime, so hour-long and few-second tokens both refresh in time. */
    private static Held hold(Token token, Instant asked) {
        Duration lifetime = Duration.between(asked, token.expiresAt());
        if (lifetime.isNegative()) {
            lifetime = Duration.ZERO;
        }
        Duration refreshMargin = min(Duration.ofMinutes(5), lifetime.dividedBy(4));
        Duration safetyMargin = min(Duration.ofMinutes(1), lifetime.dividedBy(10));
        return new Held(token, token.expiresAt().minus(refreshMargin), token.expiresAt().minus(safetyMargin));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Held await(CompletableFuture<Held> pending) throws IOException {
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for an access token", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
    }
}
