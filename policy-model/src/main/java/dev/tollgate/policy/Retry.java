package dev.tollgate.policy;

import java.time.Duration;

/**
 * How a request is retried before its first byte reached the client: attempts per target, an
 * exponential backoff with full jitter from {@code backoff} up to {@code maxBackoff}, an upstream's
 * {@code Retry-After} honoured up to {@code retryAfterCap}, and no further attempt once {@code budget}
 * (counted from the request's arrival) would be overrun: a client stops waiting at some point.
 */
public record Retry(int attempts, Duration backoff, Duration maxBackoff, Duration retryAfterCap, Duration budget) {

    public static final Retry DEFAULT = new Retry(1, Duration.ofMillis(200));

    public Retry(int attempts, Duration backoff) {
        this(attempts, backoff, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(60));
    }
}
