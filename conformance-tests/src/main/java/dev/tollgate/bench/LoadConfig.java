package dev.tollgate.bench;

import java.time.Duration;

/**
 * One load run.
 *
 * @param mode           {@link Mode#RATE}: open loop at {@code rate} requests/s; {@link Mode#MAX}: closed loop,
 *                       each connection sends its next request as soon as the previous one ended
 * @param connections    keep-alive connections, each driven by its own thread
 * @param virtualThreads drive connections from virtual threads instead of platform threads
 */
public record LoadConfig(
        HttpRequest request,
        Mode mode,
        double rate,
        int connections,
        Duration warmup,
        Duration duration,
        boolean virtualThreads) {

    public enum Mode { RATE, MAX }

    public LoadConfig {
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be >= 1");
        }
        if (mode == Mode.RATE && !(rate > 0)) {
            throw new IllegalArgumentException("rate mode needs a rate > 0");
        }
        if (duration.isNegative() || duration.isZero() || warmup.isNegative()) {
            throw new IllegalArgumentException("duration must be > 0 and warm-up >= 0");
        }
    }

    public String describe() {
        return describe(mode, rate, connections, warmup, duration);
    }

    static String describe(Mode mode, double rate, int connections, Duration warmup, Duration duration) {
        String load = mode == Mode.RATE ? String.format("%,.0f req/s open loop", rate) : "Max, closed loop";
        return String.format("%s, %d connections, warm-up %d s, measured %d s",
                load, connections, warmup.toSeconds(), duration.toSeconds());
    }
}
