package dev.tollgate.server.routing;

import dev.tollgate.policy.Provider;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * One target's circuit. Closed: calls pass and their outcomes are counted over a sliding window;
 * too many failures (a count, or a ratio once enough calls were seen) open it. Open: no calls until
 * the open period ends, then half-open: exactly one probe passes; its success closes the circuit, its
 * failure opens it again.
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

    private record Call(Instant at, boolean failed) {
    }

    private final Clock clock;
    private final Provider.Breaker config;
    private final ArrayDeque<Call> window = new ArrayDeque<>();
    private State state = new State.Closed();

    public CircuitBreaker(Clock clock, Provider.Breaker config) {
        this.clock = clock;
        this.config = config;
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
                window.clear();
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
        window.clear();
        state = new State.Open(clock.instant().plus(config.open()));
    }

    private void record(boolean failed) {
        Instant now = clock.instant();
        window.addLast(new Call(now, failed));
        Instant from = now.minus(config.window());
        while (!window.isEmpty() && window.peekFirst().at().isBefore(from)) {
            window.removeFirst();
        }
    }

    private boolean tripped() {
        long failures = window.stream().filter(Call::failed).count();
        if (failures >= config.failures()) {
            return true;
        }
        return window.size() >= config.minCalls() && failures >= config.failureRatio() * window.size();
    }
}
