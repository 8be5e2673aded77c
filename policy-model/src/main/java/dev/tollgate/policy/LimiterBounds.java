package dev.tollgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.function.Consumer;

/**
 * The largest rate limit the limiter can hold. Bucket4j refills at most one token per nanosecond, so a
 * limit above the window's length in nanoseconds (60,000,000,000 per minute) would validate and then
 * fail every request of its owner; it is refused when the policy loads instead.
 */
public final class LimiterBounds {

    private LimiterBounds() {
    }

    /** The most a limit over this window may allow. */
    public static long max(RateLimit.Window window) {
        return window.length().toNanos();
    }

    /**
     * @param value the limit as written (anything not a number is left to the loader's own checks)
     * @param problem told what is wrong when the value is a number above {@link #max}
     * @return whether the value may go on to the loader's other checks
     */
    public static boolean holds(RateLimit.Window window, String field, JsonNode value, Consumer<String> problem) {
        if (value == null || !value.isNumber()) {
            return true;
        }
        BigDecimal amount = value.decimalValue();
        if (amount.compareTo(BigDecimal.valueOf(max(window))) <= 0) {
            return true;
        }
        problem.accept("'" + field + "' is " + amount.toPlainString() + "; the rate limiter holds at most " + max(window)
                + " per " + window.name().toLowerCase(java.util.Locale.ROOT) + " (one per nanosecond): use a smaller limit, or none");
        return false;
    }
}
