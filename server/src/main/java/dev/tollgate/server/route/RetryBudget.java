package dev.tollgate.server.route;

import dev.tollgate.policy.Retry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One request's allowance for trying again: exponential backoff with full jitter, an upstream's
 * {@code Retry-After} honoured up to a cap, and a total time budget from the request's arrival after
 * which no further attempt starts (the client would have given up by then).
 */
public final class RetryBudget {

    private final Retry retry;
    private final Clock clock;
    private final Instant deadline;

    public RetryBudget(Retry retry, Clock clock) {
        this.retry = retry;
        this.clock = clock;
        this.deadline = clock.instant().plus(retry.budget());
    }

    public int attemptsPerTarget() {
        return retry.attempts();
    }

    /** Whether another attempt may still start now. */
    public boolean open() {
        return clock.instant().isBefore(deadline);
    }

    /**
     * The pause before retry number {@code retry} (1 for the first retry) of the same target, or empty
     * when the pause would not fit in the budget or the upstream asked for longer than the cap.
     */
    public Optional<Duration> pause(int retryNumber, Optional<Duration> retryAfter) {
        if (retryAfter.isPresent() && retryAfter.get().compareTo(retry.retryAfterCap()) > 0) {
            return Optional.empty(); // the upstream wants more time than we wait on one target: move on
        }
        Duration jitter = jitter(retryNumber);
        Duration pause = retryAfter.filter(ra -> ra.compareTo(jitter) > 0).orElse(jitter);
        return clock.instant().plus(pause).isBefore(deadline) ? Optional.of(pause) : Optional.empty();
    }

    /** Full jitter: uniform in [0, min(max, base * 2^(n-1))]. */
    Duration jitter(int retryNumber) {
        long base = retry.backoff().toMillis();
        long ceiling = Math.min(retry.maxBackoff().toMillis(), base << Math.min(30, Math.max(0, retryNumber - 1)));
        if (ceiling <= 0) {
            return Duration.ZERO;
        }
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling + 1));
    }
}
