package dev.tollgate.server.route;

import dev.tollgate.policy.Provider;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;

/**
 * One target's circuit. Closed: calls pass and their outcomes are counted over a sliding window;
 * too many failures (a count, or a ratio once enough calls were seen) open it. Open: no calls until
 * the open period ends, then half-open: exactly one probe passes; its success closes the circuit, its
 * failure opens it again.
 *
 * <p>The window is counted in ten slices, not per call: a busy target's circuit is called thousands
 * of times a second, and a record per call held ~50 bytes each for the whole window and made every
 * failure a scan of all of them. A call is forgotten when its slice leaves the window, so up to a
 * tenth of the window early.
 */
public final class CircuitBreaker {

    /** What the circuit is doing now. */
    public sealed interface State {
        record Closed() implements State {
        }

        record Open(Instant until) implements State {
        }

        record HalfOpen(boolean probing) implements State {
        }
    }

    private static final int SLICES = 10;

    private final Clock clock;
    private final Provider.Breaker config;
    private final long sliceMillis;
    /** Per slot: which slice (epoch millis / sliceMillis) it counts, its calls and its failures. */
    private final long[] slice = new long[SLICES];
    private final int[] calls = new int[SLICES];
    private final int[] failures = new int[SLICES];
    private State state = new State.Closed();

    public CircuitBreaker(Clock clock, Provider.Breaker config) {
        this.clock = clock;
        this.config = config;
        this.sliceMillis = Math.max(1, config.window().toMillis() / SLICES);
        clearWindow();
    }

    public Provider.Breaker config() {
        return config;
    }

    public synchronized State state() {
        return state;
    }

    /** Whether the circuit would let a call through now, without taking the half-open probe. */
    public synchronized boolean available() {
        return switch (state) {
            case State.Closed c -> true;
            case State.Open o -> !clock.instant().isBefore(o.until());
            case State.HalfOpen h -> !h.probing();
        };
    }

    /** Takes permission for one call; in half-open only the first caller gets it (the probe). */
    public synchronized boolean tryAcquire() {
        switch (state) {
            case State.Closed c -> {
                return true;
            }
            case State.Open o -> {
                if (clock.instant().isBefore(o.until())) {
                    return false;
                }
                state = new State.HalfOpen(true);
                return true;
            }
            case State.HalfOpen h -> {
                if (h.probing()) {
                    return false;
                }
                state = new State.HalfOpen(true);
                return true;
            }
        }
    }

    public synchronized void onSuccess() {
        switch (state) {
            case State.Closed c -> record(false);
            case State.Open o -> { } // a call that began before the circuit opened says nothing about now
            case State.HalfOpen h -> {
                clearWindow();
                state = new State.Closed();
            }
        }
    }

    public synchronized void onFailure() {
        switch (state) {
            case State.Closed c -> {
                record(true);
                if (tripped()) {
                    open();
                }
            }
            case State.Open o -> { }
            case State.HalfOpen h -> open();
        }
    }

    /** A permitted call that never reached the upstream (no credential, say): the probe is handed back. */
    public synchronized void release() {
        if (state instanceof State.HalfOpen h && h.probing()) {
            state = new State.HalfOpen(false);
        }
    }

    private void open() {
        clearWindow();
        state = new State.Open(clock.instant().plus(config.open()));
    }

    private void clearWindow() {
        Arrays.fill(slice, Long.MIN_VALUE);
    }

    private void record(boolean failed) {
        long current = clock.millis() / sliceMillis;
        int slot = (int) Math.floorMod(current, (long) SLICES);
        if (slice[slot] != current) {
            slice[slot] = current;
            calls[slot] = 0;
            failures[slot] = 0;
        }
        calls[slot]++;
        if (failed) {
            failures[slot]++;
        }
    }

    private boolean tripped() {
        long current = clock.millis() / sliceMillis;
        long seen = 0;
        long failed = 0;
        for (int i = 0; i < SLICES; i++) {
            if (slice[i] > current - SLICES) {
                seen += calls[i];
                failed += failures[i];
            }
        }
        if (failed >= config.failures()) {
            return true;
        }
        return seen >= config.minCalls() && failed >= config.failureRatio() * seen;
    }
}
