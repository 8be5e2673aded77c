package dev.tollgate.bench;

import org.HdrHistogram.AbstractHistogram;

/** Percentiles of a latency histogram, in microseconds. */
public record LatencyStats(long count, double p50, double p90, double p99, double p999, double max) {

    public static final LatencyStats EMPTY = new LatencyStats(0, 0, 0, 0, 0, 0);

    /** From a histogram of nanosecond values. */
    public static LatencyStats ofNanos(AbstractHistogram h) {
        if (h.getTotalCount() == 0) {
            return EMPTY;
        }
        return new LatencyStats(h.getTotalCount(),
                us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9)),
                us(h.getMaxValue()));
    }

    private static double us(long nanos) {
        return nanos / 1_000.0;
    }

    public String format() {
        return String.format("p50 %,.0f  p90 %,.0f  p99 %,.0f  p99.9 %,.0f  max %,.0f", p50, p90, p99, p999, max);
    }
}
