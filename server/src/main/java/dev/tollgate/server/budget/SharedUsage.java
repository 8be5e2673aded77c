package dev.tollgate.server.budget;

import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The usage counters every node's settlements add to in Redis (settle.lua writes them): per dimension
 * (key, team, customer, model) one hash per UTC day, kept {@link #KEEP_DAYS} days, and one of all
 * time. A hash's fields are {@code r:NAME}, {@code s:NAME}, {@code i:NAME}, {@code o:NAME}: requests,
 * spent nanos, input and output tokens of NAME.
 */
final class SharedUsage {

    /** A day's hashes live this long: every period but the total reads at most a month back. */
    static final long KEEP_DAYS = 100;
    /** Where requests no provider answered with usage count by model: their model name is whatever the caller sent. */
    static final String UNANSWERED = "(unanswered)";
    private static final Ledger.By[] DIMENSIONS = Ledger.By.values();

    private final String prefix;

    SharedUsage(String prefix) {
        this.prefix = prefix;
    }

    /** The hashes a settlement on {@code day} adds to: the day's, one per dimension, then all time's. */
    String[] keys(long day) {
        String[] keys = new String[2 * DIMENSIONS.length];
        for (Ledger.By by : DIMENSIONS) {
            keys[by.ordinal()] = dayKey(by, day);
            keys[DIMENSIONS.length + by.ordinal()] = totalKey(by);
        }
        return keys;
    }

    /** The name a settlement counts under in each dimension, in the order of {@link #keys}. */
    static List<String> names(Reservation r, Charge c) {
        boolean answered = c.nanos() > 0 || c.usage().totalTokens() > 0;
        return List.of(Objects.requireNonNullElse(r.keyId(), ""), Objects.requireNonNullElse(r.teamId(), ""),
                Objects.requireNonNullElse(r.customerId(), ""), answered ? r.model() : UNANSWERED);
    }

    /** Seconds a day's usage hash is kept, counted from the start of its day (the reservation's). */
    static long dayTtlSeconds() {
        return (KEEP_DAYS + 1) * 86_400L;
    }

    /**
     * Usage from {@code fromDay} ({@link Long#MIN_VALUE}: all time) to {@code today}, by spend then name,
     * without in-flight amounts.
     */
    List<Ledger.UsageLine> read(RedisCommands<String, String> redis, Ledger.By by, long fromDay, long today) {
        Map<String, long[]> sums = new LinkedHashMap<>();
        if (fromDay == Long.MIN_VALUE) {
            add(sums, redis.hgetall(totalKey(by)));
        } else {
            for (long d = Math.max(fromDay, today - KEEP_DAYS); d <= today; d++) {
                add(sums, redis.hgetall(dayKey(by, d)));
            }
        }
        List<Ledger.UsageLine> out = new ArrayList<>(sums.size());
        sums.forEach((name, v) -> out.add(new Ledger.UsageLine(name, v[0], v[1], 0, v[2], v[3])));
        out.sort(Comparator.comparingLong(Ledger.UsageLine::spentNanos).reversed().thenComparing(Ledger.UsageLine::name));
        return out;
    }

    private static void add(Map<String, long[]> sums, Map<String, String> hash) {
        hash.forEach((field, value) -> {
            int i = "rsio".indexOf(field.charAt(0));
            if (i >= 0 && field.length() > 1 && field.charAt(1) == ':') {
                sums.computeIfAbsent(field.substring(2), n -> new long[4])[i] += Long.parseLong(value);
            }
        });
    }

    private String dayKey(Ledger.By by, long day) {
        return prefix + "u:" + by.name().toLowerCase(Locale.ROOT) + ":" + LocalDate.ofEpochDay(day);
    }

    private String totalKey(Ledger.By by) {
        return prefix + "u:" + by.name().toLowerCase(Locale.ROOT) + ":all";
    }
}
