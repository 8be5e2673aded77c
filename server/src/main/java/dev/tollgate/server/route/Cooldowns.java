package dev.tollgate.server.route;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Credentials a provider told to back off (429 with {@code Retry-After}): they get no traffic until
 * the time it named. Keyed by provider and credential reference, so a policy swap keeps them.
 */
public final class Cooldowns {

    private final Clock clock;
    private final ConcurrentHashMap<String, Instant> until = new ConcurrentHashMap<>();

    public Cooldowns(Clock clock) {
        this.clock = clock;
    }

    public void cool(String key, Duration howLong) {
        Instant end = clock.instant().plus(howLong);
        until.merge(key, end, (a, b) -> a.isAfter(b) ? a : b);
    }

    public boolean cooling(String key) {
        return remaining(key).isPresent();
    }

    /** How long {@code key} still cools; empty when it may be used. */
    public Optional<Duration> remaining(String key) {
        Instant end = until.get(key);
        if (end == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (!now.isBefore(end)) {
            until.remove(key, end);
            return Optional.empty();
        }
        return Optional.of(Duration.between(now, end));
    }
}
