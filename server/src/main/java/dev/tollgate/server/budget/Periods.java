package dev.tollgate.server.budget;

import dev.tollgate.policy.Budget;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;

/** Calendar periods in UTC epoch days: the day a period started, and the day the next one starts. */
public final class Periods {

    /** The calendar periods, by ordinal ({@code SESSION}, last, is no calendar period: see {@code session.Sessions}). */
    static final Budget.Period[] ALL = java.util.Arrays.stream(Budget.Period.values()).filter(Budget.Period::calendar)
            .toArray(Budget.Period[]::new);

    private Periods() {
    }

    public static long day(long epochMillis) {
        return Math.floorDiv(epochMillis, 86_400_000L);
    }

    /** First day of the period containing {@code day}; {@link Long#MIN_VALUE} for a total (it never starts anew). */
    public static long start(Budget.Period period, long day) {
        return switch (period) {
            case DAILY -> day;
            case WEEKLY -> LocalDate.ofEpochDay(day).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toEpochDay();
            case MONTHLY -> LocalDate.ofEpochDay(day).withDayOfMonth(1).toEpochDay();
            case TOTAL, SESSION -> Long.MIN_VALUE;
        };
    }

    /** The first day of the next period; {@code null} for a total. */
    public static LocalDate next(Budget.Period period, long day) {
        LocalDate d = LocalDate.ofEpochDay(day);
        return switch (period) {
            case DAILY -> d.plusDays(1);
            case WEEKLY -> d.with(TemporalAdjusters.next(DayOfWeek.MONDAY));
            case MONTHLY -> d.withDayOfMonth(1).plusMonths(1);
            case TOTAL, SESSION -> null;
        };
    }
}
