package dev.tollgate.policy;

import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Arrays;
import java.util.Optional;

/**
 * A spending cap in USD over a calendar period aligned in UTC; with {@code model} it caps only the
 * spend on that model (its public name as clients request it).
 */
public record Budget(BigDecimal usd, Period period, Optional<String> model) {

    public Budget(BigDecimal usd, Period period) {
        this(usd, period, Optional.empty());
    }

    public enum Period {
        DAILY("daily"), WEEKLY("weekly"), MONTHLY("monthly"), TOTAL("total");

        private final String id;

        Period(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Optional<Period> byId(String id) {
            return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst();
        }

        /**
         * Start of the period containing {@code now}: midnight UTC, Monday (ISO week), the 1st of the
         * month; {@link Instant#EPOCH} for a total budget that never resets.
         */
        public Instant windowStart(Instant now) {
            LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
            LocalDate start = switch (this) {
                case DAILY -> day;
                case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
                case MONTHLY -> day.withDayOfMonth(1);
                case TOTAL -> null;
            };
            return start == null ? Instant.EPOCH : start.atStartOfDay(ZoneOffset.UTC).toInstant();
        }
    }
}
