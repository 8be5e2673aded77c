package dev.tollgate.server.admin;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Query parameters of the admin API, checked before use: a value that does not parse or is out of
 * range is an {@link Invalid} whose message says what is accepted (the route answers 400 with it),
 * never an exception that reaches the error handler as a 5xx, never a value past a cap.
 */
public final class QueryParams {

    /** How far back a relative time may reach: ten years, far beyond any retention. */
    public static final Duration MAX_BACK = Duration.ofDays(3650);
    private static final Pattern SPAN = Pattern.compile("(\\d{1,7})([smhd])");
    private static final Pattern STATUS = Pattern.compile("error|[1-5]xx|[1-5]\\d\\d");
    /** Instants the request log can hold (epoch milliseconds as a long, years a person would type). */
    private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private QueryParams() {
    }

    /** A parameter that cannot be used; the message names it, what was sent and what is accepted. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** A span back from now: 30s, 15m, 6h, 7d, at most {@link #MAX_BACK}; {@code units} are the letters accepted. */
    public static Duration span(String name, String text, String units) throws Invalid {
        Matcher m = SPAN.matcher(text);
        String accepted = "'" + name + "' must be a span like " + examples(units) + " (at most " + MAX_BACK.toDays() + "d)";
        if (!m.matches() || units.indexOf(m.group(2).charAt(0)) < 0) {
            throw new Invalid(accepted + ", not " + shown(text));
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.compareTo(MAX_BACK) > 0) {
            throw new Invalid(accepted + ", not " + shown(text));
        }
        return d;
    }

    /** An ISO-8601 instant (2026-11-24T10:00:00Z) or a span back from {@code now} (30s, 15m, 2h, 7d). */
    public static Instant time(String name, String text, Instant now) throws Invalid {
        if (SPAN.matcher(text).matches()) {
            return now.minus(span(name, text, "smhd"));
        }
        try {
            Instant t = Instant.parse(text);
            if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
                throw new Invalid("'" + name + "' must be between 1970 and 9999, not " + shown(text));
            }
            return t;
        } catch (DateTimeParseException e) {
            throw new Invalid("'" + name + "' must be a time like 2026-11-24T10:00:00Z or a span back from now like 15m, 2h or 7d, not "
                    + shown(text));
        }
    }

    /** A whole number from {@code min} to {@code max}. */
    public static int whole(String name, String text, int min, int max) throws Invalid {
        String accepted = "'" + name + "' must be a whole number from " + min + " to " + max;
        if (text.length() > 10 || !text.matches("-?\\d+")) {
            throw new Invalid(accepted + ", not " + shown(text));
        }
        long n = Long.parseLong(text);
        if (n < min || n > max) {
            throw new Invalid(accepted + ", not " + shown(text));
        }
        return (int) n;
    }

    /** A status filter: a code (429), a class (4xx) or {@code error} (400 and up). */
    public static String status(String name, String text) throws Invalid {
        String s = text.toLowerCase(java.util.Locale.ROOT);
        if (!STATUS.matcher(s).matches()) {
            throw new Invalid("'" + name + "' must be a status code (429), a class (4xx, 5xx) or 'error', not " + shown(text));
        }
        return s;
    }

    /** One of {@code values}. */
    public static String oneOf(String name, String text, java.util.List<String> values) throws Invalid {
        String s = text.toLowerCase(java.util.Locale.ROOT);
        if (!values.contains(s)) {
            throw new Invalid("'" + name + "' must be one of " + String.join(", ", values) + ", not " + shown(text));
        }
        return s;
    }

    private static String examples(String units) {
        StringBuilder out = new StringBuilder();
        for (char u : units.toCharArray()) {
            out.append(out.isEmpty() ? "" : ", ").append(switch (u) {
                case 's' -> "30s";
                case 'm' -> "15m";
                case 'h' -> "6h";
                default -> "7d";
            });
        }
        return out.toString();
    }

    /** What was sent, quoted and cut: an error message must not echo a megabyte back. */
    static String shown(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return "'" + cut.replaceAll("[\\p{Cntrl}]", "?") + "'";
    }
}
