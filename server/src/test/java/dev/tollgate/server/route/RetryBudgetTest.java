package dev.tollgate.server.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Retry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final TestClock clock = new TestClock();
    private final RetryBudget budget = new RetryBudget(
            new Retry(5, Duration.ofMillis(100), Duration.ofMillis(1000), Duration.ofSeconds(3), Duration.ofSeconds(10)), clock);

    @Test
    void fullJitterStaysUnderTheExponentialCeilingAndTheCap() {
        long[] ceilings = {100, 200, 400, 800, 1000, 1000};
        for (int n = 1; n <= ceilings.length; n++) {
            long max = 0;
            for (int i = 0; i < 2000; i++) {
                long ms = budget.jitter(n).toMillis();
                assertTrue(ms >= 0 && ms <= ceilings[n - 1], "retry " + n + ": " + ms);
                max = Math.max(max, ms);
            }
            assertTrue(max > ceilings[n - 1] / 2, "the jitter spreads over the whole range, retry " + n + " max " + max);
        }
    }

    @Test
    void retryAfterIsHonouredUpToTheCap() {
        assertEquals(Optional.of(Duration.ofSeconds(2)), budget.pause(1, Optional.of(Duration.ofSeconds(2))));
        assertEquals(Optional.empty(), budget.pause(1, Optional.of(Duration.ofSeconds(4))), "longer than the cap: move on");
    }

    @Test
    void noPauseOutlastsTheBudget() {
        clock.advance(Duration.ofMillis(9000));
        assertTrue(budget.open());
        assertEquals(Optional.empty(), budget.pause(1, Optional.of(Duration.ofMillis(1500))));
        clock.advance(Duration.ofSeconds(1));
        assertTrue(!budget.open());
    }

    @Test
    void retryAfterInSecondsOrAsADate() {
        Clock c = clock;
        assertEquals(Optional.of(Duration.ofMillis(1500)), RetryAfter.parse(Optional.of("1.5"), c));
        assertEquals(Optional.of(Duration.ofSeconds(30)), RetryAfter.parse(Optional.of("Tue, 24 Nov 2026 12:00:30 GMT"), c));
        assertEquals(Optional.empty(), RetryAfter.parse(Optional.of("soon"), c));
    }
}
