package dev.tollgate.bench;

/**
 * The measured window of one load run. Latencies run from the intended send time in rate mode and
 * from the actual send in max mode; both only for 2xx responses.
 *
 * @param ok            2xx responses in the window
 * @param errors        non-2xx responses, I/O failures, and (rate mode) requests never sent before the deadline
 * @param achievedRate  ok responses per second over the window (until the last measured response ended)
 * @param latency       whole response
 * @param firstByte     first body byte (for SSE: the first event)
 * @param sendLag       rate mode: how late the generator itself sent, actual minus intended time; a
 *                      large value means the generator, not the server, fell behind
 * @param firstError    one example error, or null
 */
public record LoadResult(
        long ok,
        long errors,
        double seconds,
        double achievedRate,
        LatencyStats latency,
        LatencyStats firstByte,
        LatencyStats sendLag,
        String firstError) {

    public long requests() {
        return ok + errors;
    }

    public double errorRatio() {
        return requests() == 0 ? 1.0 : (double) errors / requests();
    }

    public String format() {
        StringBuilder s = new StringBuilder()
                .append(String.format("requests %,d  errors %,d  achieved %,.1f req/s over %.1f s%n",
                        requests(), errors, achievedRate, seconds))
                .append("latency µs      ").append(latency.format()).append('\n')
                .append("first byte µs   ").append(firstByte.format()).append('\n');
        if (sendLag.count() > 0) {
            s.append("send lag µs     ").append(sendLag.format()).append('\n');
        }
        if (firstError != null) {
            s.append("first error     ").append(firstError).append('\n');
        }
        return s.toString();
    }
}
