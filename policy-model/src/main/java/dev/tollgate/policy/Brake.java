package dev.tollgate.policy;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The runaway brake of one level: rules that pause an agent session that looks stuck in a loop.
 *
 * @param repeatedToolCall  the same tool call with the same arguments this many requests in a row
 * @param requestsPerMinute more requests than this in one session within a minute
 * @param usdPerMinute      more spend than this in one session within a minute
 * @param pause             how long a tripped session stays paused unless an operator resumes it first
 */
public record Brake(OptionalInt repeatedToolCall, OptionalInt requestsPerMinute, Optional<BigDecimal> usdPerMinute, Duration pause) {

    public static final Duration DEFAULT_PAUSE = Duration.ofMinutes(15);
}
