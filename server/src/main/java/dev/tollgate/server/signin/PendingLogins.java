package dev.tollgate.server.signin;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sign-ins between their start and the code coming back: the PKCE verifier and nonce stay on the
 * gateway, keyed by the state; each is taken once (a replayed state finds nothing).
 */
final class PendingLogins {

    static final Duration LIFETIME = Duration.ofMinutes(10);
    /** Bounds memory against a flood of starts; an honest user finishes in minutes. */
    static final int MAX = 10_000;

    /** {@code device}: the device sign-in this browser sign-in completes; null for the CLI's loopback one. */
    record Pending(String verifier, String nonce, URI redirect, Instant expires, String device) {
    }

    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private final Clock clock;

    PendingLogins(Clock clock) {
        this.clock = clock;
    }

    boolean add(String state, String verifier, String nonce, URI redirect) {
        return add(state, verifier, nonce, redirect, null);
    }

    boolean add(String state, String verifier, String nonce, URI redirect, String device) {
        Instant now = clock.instant();
        pending.values().removeIf(p -> now.isAfter(p.expires()));
        if (pending.size() >= MAX) {
            return false;
        }
        pending.put(state, new Pending(verifier, nonce, redirect, now.plus(LIFETIME), device));
        return true;
    }

    Optional<Pending> take(String state) {
        Pending p = pending.remove(state);
        return p == null || clock.instant().isAfter(p.expires()) ? Optional.empty() : Optional.of(p);
    }
}
