package dev.tollgate.policy;

import java.time.Duration;

/** At most {@code amount} requests or tokens per window. */
public record RateLimit(Metric metric, Window window, long amount) {

    public enum Metric { REQUESTS, TOKENS }

    public enum Window {
        MINUTE(Duration.ofMinutes(1)), HOUR(Duration.ofHours(1)), DAY(Duration.ofDays(1));

        private final Duration length;

        Window(Duration length) {
            this.length = length;
        }

        public Duration length() {
            return length;
        }
    }

    /** The YAML field this limit is written as, e.g. {@code tokens_per_minute}. */
    public String field() {
        return metric.name().toLowerCase() + "_per_" + window.name().toLowerCase();
    }
}
