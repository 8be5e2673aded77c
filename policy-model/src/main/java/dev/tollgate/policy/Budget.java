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
 * A spending cap in USD over a calendar period aligned in UTC, or over one agent session
 * ({@link Period#SESSION}); with {@code model} it caps only the spend on that model (its public name
 * as clients request it).
 *
 * @param warnAtPercent from this share of the cap spent, answers carry a warning header and the request log marks them
 * @param downgrade     from its share of the cap spent, requests go to a cheaper catalog model where a session may switch
 */
public record Budget(BigDecimal usd, Period period, Optional<String> model, java.util.OptionalInt warnAtPercent,
                     Optional<Downgrade> downgrade) {

    public Budget(BigDecimal usd, Period period, Optional<String> model, java.util.OptionalInt warnAtPercent) {
        this(usd, period, model, warnAtPercent, Optional.empty());
    }

    public Budget(BigDecimal usd, Period period) {
        this(usd, period, Optional.empty());
    }

    public Budget(BigDecimal usd, Period period, Optional<String> model) {
        this(usd, period, model, java.util.OptionalInt.empty());
    }

    /**
     * Pacing instead of a cliff: once {@code atPercent} of the budget is used or held, a request for
     * another model goes to {@code to} (a catalog name) instead, at a point where its session's prompt
     * cache is not lost.
     */
    public record Downgrade(int atPercent, String to) {
    }

    public enum Period {
        DAILY("daily"), WEEKLY("weekly"), MONTHLY("monthly"), TOTAL("total"),
        /** One agent session (a key's session id): not a calendar period; it ends when the session goes idle. Keep it last. */
        SESSION("session");

        private final String id;

        Period(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** A calendar period (every one but {@link #SESSION}). */
        public boolean calendar() {
            return this != SESSION;
        }

        public static Optional<Period> byId(String id) {
            return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst();
        }

        /**
         * Start of the period containing {@code now}: midnight UTC, Monday (ISO week), the 1st of the
         * month; {@link Instant#EPOCH} for a total budget that never resets (and a session's, which has no calendar).
         */
        public Instant windowStart(Instant now) {
            LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
            LocalDate start = switch (this) {
                case DAILY -> day;
                case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
                case MONTHLY -> day.withDayOfMonth(1);
                case TOTAL, SESSION -> null;
            };
            return start == null ? Instant.EPOCH : start.atStartOfDay(ZoneOffset.UTC).toInstant();
        }
    }
}
