package dev.tollgate.bench;

import java.time.Duration;

/**
 * The intended send times of an open-loop run: request {@code i} is due at
 * {@code start + i / rate}, whatever happened to the requests before it. Latency is measured from
 * this time, so a stalled server is charged for every request it delayed (no coordinated omission).
 *
 * <p>Indices {@code [0, warmupCount)} are warm-up and not recorded; indices
 * {@code [warmupCount, endIndex)} are measured; nothing at or after {@code endIndex} is sent.
 */
public record RateSchedule(long startNanos, double ratePerSecond, long warmupCount, long measuredCount) {

    public RateSchedule {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be > 0, was " + ratePerSecond);
        }
        if (warmupCount < 0 || measuredCount < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
    }

    public static RateSchedule of(long startNanos, double ratePerSecond, Duration warmup, Duration duration) {
        return new RateSchedule(startNanos, ratePerSecond,
                countIn(warmup, ratePerSecond), countIn(duration, ratePerSecond));
    }

    /** How many requests are due in a span of the given length. */
    static long countIn(Duration span, double ratePerSecond) {
        return Math.round(span.toNanos() / 1e9 * ratePerSecond);
    }

    /** Nanoseconds from the start to request {@code i}'s send time; computed from {@code i}, so it never drifts. */
    public long offsetNanos(long i) {
        return Math.round(i * (1e9 / ratePerSecond));
    }

    public long intendedNanos(long i) {
        return startNanos + offsetNanos(i);
    }

    public long endIndex() {
        return warmupCount + measuredCount;
    }

    public boolean isMeasured(long i) {
        return i >= warmupCount && i < endIndex();
    }

    /** When the measured window opens: the intended time of the first measured request. */
    public long measureStartNanos() {
        return intendedNanos(warmupCount);
    }

    /** When the measured window closes: the intended time of the first request not sent. */
    public long measureEndNanos() {
        return intendedNanos(endIndex());
    }
}
