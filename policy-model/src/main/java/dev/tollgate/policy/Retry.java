package dev.tollgate.policy;

import java.time.Duration;

/** Attempts per target before moving on (only before the first byte reached the client), with backoff. */
public record Retry(int attempts, Duration backoff) {

    public static final Retry DEFAULT = new Retry(1, Duration.ofMillis(200));
}
