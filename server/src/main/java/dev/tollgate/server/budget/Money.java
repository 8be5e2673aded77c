package dev.tollgate.server.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Amounts in nano-dollars (1e-9 USD) as {@code long}: exact for any token price, atomic to add, and
 * room for nine billion dollars.
 */
public final class Money {

    public static final long NANOS_PER_USD = 1_000_000_000L;

    private Money() {
    }

    public static long nanos(BigDecimal usd) {
        return usd.movePointRight(9).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    public static BigDecimal usd(long nanos) {
        return BigDecimal.valueOf(nanos, 9).stripTrailingZeros();
    }

    /** "$500.00"; amounts under a cent keep the digits that matter ("$0.000375"). */
    public static String format(long nanos) {
        BigDecimal usd = BigDecimal.valueOf(nanos, 9);
        if (nanos != 0 && Math.abs(nanos) < 10_000_000L) {
            return "$" + usd.stripTrailingZeros().toPlainString();
        }
        return "$" + usd.setScale(2, RoundingMode.HALF_UP).toPlainString();
    }
}
