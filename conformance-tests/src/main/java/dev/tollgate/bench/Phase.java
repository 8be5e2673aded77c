package dev.tollgate.bench;

import java.time.Duration;
import java.util.List;

/** One kind of load, run once straight at the simulator and once through the gateway. */
public record Phase(
        String key,
        String title,
        LoadConfig.Mode mode,
        double rate,
        int connections,
        Duration warmup,
        Duration duration,
        boolean stream) {

    public static final String RATE = "rate";
    public static final String MAX = "max";
    public static final String STREAM = "stream";

    /** The standard plan; {@code quick} shortens every phase to a smoke run. */
    public static List<Phase> plan(boolean quick) {
        Duration w5 = Duration.ofSeconds(quick ? 1 : 5);
        Duration w3 = Duration.ofSeconds(quick ? 1 : 3);
        return List.of(
                new Phase(RATE, "Fixed rate 2,000 req/s", LoadConfig.Mode.RATE, 2_000, 16,
                        w5, Duration.ofSeconds(quick ? 3 : 20), false),
                new Phase(MAX, "Max throughput, closed loop, 64 connections", LoadConfig.Mode.MAX, 0, 64,
                        w5, Duration.ofSeconds(quick ? 3 : 15), false),
                new Phase(STREAM, "Streaming (SSE) 200 req/s", LoadConfig.Mode.RATE, 200, 16,
                        w3, Duration.ofSeconds(quick ? 3 : 15), true));
    }

    public String describe() {
        return LoadConfig.describe(mode, rate, connections, warmup, duration);
    }

    public LoadConfig config(HttpRequest request) {
        return new LoadConfig(request, mode, rate, connections, warmup, duration, false);
    }
}
