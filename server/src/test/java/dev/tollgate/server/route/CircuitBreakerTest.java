package dev.tollgate.server.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Provider;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private final TestClock clock = new TestClock();
    private final CircuitBreaker circuit = new CircuitBreaker(clock,
            new Provider.Breaker(3, 0.5, 6, Duration.ofSeconds(10), Duration.ofSeconds(5)));

    @Test
    void opensAfterTheFailureCountAndLetsNothingThrough() {
        for (int i = 0; i < 2; i++) {
            assertTrue(circuit.tryAcquire());
            circuit.onFailure();
        }
        assertInstanceOf(CircuitBreaker.State.Closed.class, circuit.state(), "two failures are below the count");
        assertTrue(circuit.tryAcquire());
        circuit.onFailure();
        assertInstanceOf(CircuitBreaker.State.Open.class, circuit.state());
        assertFalse(circuit.tryAcquire());
        assertFalse(circuit.available());
    }

    @Test
    void failuresOutsideTheWindowAreForgotten() {
        circuit.onFailure();
        circuit.onFailure();
        clock.advance(Duration.ofSeconds(11));
        circuit.onFailure();
        assertInstanceOf(CircuitBreaker.State.Closed.class, circuit.state());
    }

    @Test
    void aFailureIsForgottenWhenItsTenthOfTheWindowLeavesIt() {
        clock.advance(Duration.ofMillis(900));
        circuit.onFailure();
        circuit.onFailure();
        clock.advance(Duration.ofMillis(9_100));
        circuit.onFailure();
        assertInstanceOf(CircuitBreaker.State.Closed.class, circuit.state(),
                "the first two failures' slice (the window's first second) has left the 10 s window");
    }

    @Test
    void aBusyTargetIsJudgedOnEveryCallInTheWindow() {
        CircuitBreaker byRatio = new CircuitBreaker(clock, new Provider.Breaker(1_000_000, 0.5, 6, Duration.ofSeconds(10), Duration.ofSeconds(5)));
        for (int i = 0; i < 100_000; i++) {
            byRatio.onSuccess();
            clock.advance(Duration.ofNanos(50_000)); // 20,000 calls a second, 5 s in all
        }
        for (int i = 0; i < 99_999; i++) {
            byRatio.onFailure();
        }
        assertInstanceOf(CircuitBreaker.State.Closed.class, byRatio.state(), "99,999 of 199,999 is under half");
        byRatio.onFailure();
        assertInstanceOf(CircuitBreaker.State.Open.class, byRatio.state(), "100,000 of 200,000 is half");
    }

    @Test
    void opensOnTheRatioOnceEnoughCallsWereSeen() {
        CircuitBreaker byRatio = new CircuitBreaker(clock, new Provider.Breaker(100, 0.5, 6, Duration.ofSeconds(10), Duration.ofSeconds(5)));
        for (int i = 0; i < 5; i++) {
            if (i % 2 == 0) {
                byRatio.onFailure();
            } else {
                byRatio.onSuccess();
            }
        }
        assertInstanceOf(CircuitBreaker.State.Closed.class, byRatio.state(), "3 of 5 fail, but 6 calls are needed");
        byRatio.onSuccess();
        assertInstanceOf(CircuitBreaker.State.Closed.class, byRatio.state(), "3 of 6 is exactly the ratio, and the last call succeeded");
        byRatio.onFailure();
        assertInstanceOf(CircuitBreaker.State.Open.class, byRatio.state(), "4 of 7 fail");
    }

    @Test
    void halfOpenSendsOneProbeThenClosesOnSuccess() {
        trip();
        clock.advance(Duration.ofSeconds(5));
        assertTrue(circuit.available());
        assertTrue(circuit.tryAcquire(), "the probe");
        assertEquals(new CircuitBreaker.State.HalfOpen(true), circuit.state());
        assertFalse(circuit.tryAcquire(), "only one probe at a time");
        assertFalse(circuit.available());
        circuit.onSuccess();
        assertInstanceOf(CircuitBreaker.State.Closed.class, circuit.state());
        assertTrue(circuit.tryAcquire());
        assertTrue(circuit.tryAcquire());
    }

    @Test
    void aFailedProbeOpensAgain() {
        trip();
        clock.advance(Duration.ofSeconds(5));
        assertTrue(circuit.tryAcquire());
        circuit.onFailure();
        assertInstanceOf(CircuitBreaker.State.Open.class, circuit.state());
        assertFalse(circuit.tryAcquire());
        clock.advance(Duration.ofSeconds(5));
        assertTrue(circuit.tryAcquire(), "a new probe after the open period");
    }

    @Test
    void aProbeThatNeverReachedTheUpstreamIsHandedBack() {
        trip();
        clock.advance(Duration.ofSeconds(5));
        assertTrue(circuit.tryAcquire());
        circuit.release();
        assertTrue(circuit.tryAcquire(), "the next caller may probe");
    }

    private void trip() {
        for (int i = 0; i < 3; i++) {
            circuit.onFailure();
        }
        assertInstanceOf(CircuitBreaker.State.Open.class, circuit.state());
    }
}
