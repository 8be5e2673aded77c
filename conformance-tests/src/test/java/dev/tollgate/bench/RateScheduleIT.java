package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateScheduleIT {

    @Test
    void intendedTimesAreEvenlySpacedFromTheStart() {
        RateSchedule s = RateSchedule.of(1_000, 2_000, Duration.ofSeconds(5), Duration.ofSeconds(20));
        assertEquals(1_000, s.intendedNanos(0));
        assertEquals(1_000 + 500_000, s.intendedNanos(1));
        assertEquals(1_000 + 500_000L * 7, s.intendedNanos(7));
    }

    @Test
    void intendedTimesDoNotDriftOverLongRuns() {
        // Computed from the index, not by adding a rounded period: no accumulated error.
        RateSchedule s = RateSchedule.of(0, 3, Duration.ZERO, Duration.ofSeconds(1));
        assertEquals(333_333_333, s.intendedNanos(1));
        assertEquals(666_666_667, s.intendedNanos(2));
        assertEquals(1_000_000_000, s.intendedNanos(3));
        assertEquals(3_600_000_000_000L, s.intendedNanos(3L * 3_600)); // one hour in
    }

    @Test
    void warmUpAndMeasuredWindowsAreCountedInRequests() {
        RateSchedule s = RateSchedule.of(0, 2_000, Duration.ofSeconds(5), Duration.ofSeconds(20));
        assertEquals(10_000, s.warmupCount());
        assertEquals(40_000, s.measuredCount());
        assertEquals(50_000, s.endIndex());
        assertFalse(s.isMeasured(9_999));
        assertTrue(s.isMeasured(10_000));
        assertTrue(s.isMeasured(49_999));
        assertFalse(s.isMeasured(50_000));
        assertEquals(5_000_000_000L, s.measureStartNanos());
        assertEquals(25_000_000_000L, s.measureEndNanos());
    }

    @Test
    void fractionalRatesRoundTheCount() {
        RateSchedule s = RateSchedule.of(0, 0.5, Duration.ofSeconds(3), Duration.ofSeconds(10));
        assertEquals(2, s.warmupCount()); // 1.5 requests due, rounded
        assertEquals(5, s.measuredCount());
        assertEquals(2_000_000_000L, s.intendedNanos(1));
    }

    @Test
    void rejectsANonPositiveRate() {
        assertThrows(IllegalArgumentException.class, () -> RateSchedule.of(0, 0, Duration.ZERO, Duration.ofSeconds(1)));
    }
}
