package dev.tollgate.server.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.telemetry.RequestExport;
import java.io.BufferedReader;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an export ({@link RequestExport}) line by line. A line that is not an object of this format,
 * or of a newer version, is reported with its number and skipped: replay never guesses what a field
 * it does not know means. Records come back in time order, whatever order the file had.
 */
final class ExportReader {

    /**
     * What was read: the records, the lines skipped and why, whether the export's end line was there,
     * the live nodes whose logs it lacks (Redis mode: the log is per node) and, when the gateway could
     * not tell which nodes there are, why not (else null).
     */
    record Export(List<Recorded> records, List<String> problems, long skipped, boolean complete, List<String> lacks,
                  String nodesUnknown) {
        Export {
            lacks = List.copyOf(lacks);
        }

        Export(List<Recorded> records, List<String> problems, long skipped, boolean complete) {
            this(records, problems, skipped, complete, List.of(), null);
        }
    }

    private static final JsonFactory FACTORY = new JsonFactory();
    /** Problems listed one by one; beyond this only counted. */
    static final int LISTED = 20;

    private final List<Recorded> records = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    /** Keys, teams and model names repeat a million times: one string each. */
    private final Map<String, String> names = new HashMap<>();
    private long skipped;
    private boolean complete;
    /** From the first and end lines: a node named in either is one this export lacks. */
    private final java.util.Set<String> lacks = new java.util.TreeSet<>();
    private String nodesUnknown;

    private ExportReader() {
    }

    /** Records at or after {@code since} (null: all). */
    static Export read(BufferedReader in, Instant since) throws IOException {
        ExportReader r = new ExportReader();
        long sinceMillis = since == null ? Long.MIN_VALUE : since.toEpochMilli();
        long n = 0;
        boolean sorted = true;
        long last = Long.MIN_VALUE;
        for (String text = in.readLine(); text != null; text = in.readLine()) {
            n++;
            if (text.isBlank()) {
                continue;
            }
            if (r.complete) {
                r.problem(n, "a line after the export's end line");
                continue;
            }
            Recorded rec;
            try {
                rec = r.parse(n, text);
            } catch (Bad e) {
                r.problem(n, e.getMessage());
                continue;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                r.problem(n, "not JSON (" + e.getOriginalMessage() + ")");
                continue;
            }
            if (rec == null || rec.atMillis() < sinceMillis) {
                continue;
            }
            sorted &= rec.atMillis() >= last;
            last = rec.atMillis();
            r.records.add(rec);
        }
        if (!sorted) {
            r.records.sort(Comparator.comparingLong(Recorded::atMillis)); // stable: equal times keep the file's order
        }
        return new Export(r.records, r.problems, r.skipped, r.complete, List.copyOf(r.lacks), r.nodesUnknown);
    }

    private void problem(long line, String why) {
        skipped++;
        if (problems.size() < LISTED) {
            problems.add("line " + line + ": " + why + "; skipped");
        }
    }

    private static final class Bad extends Exception {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    /** A record, or null for the end line. */
    private Recorded parse(long line, String text) throws IOException, Bad {
        int version = -1;
        String time = null;
        String key = null;
        String team = null;
        String customer = null;
        String requested = null;
        String provider = null;
        String model = null;
        String cost = null;
        String error = null;
        int status = -1;
        long input = 0;
        long output = 0;
        long cached = 0;
        long cacheWrite = 0;
        long reasoning = 0;
        boolean end = false;
        boolean start = false;
        List<String> lacking = List.of();
        String unknown = null;
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Bad("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "v" -> version = whole(p, value, field) > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) whole(p, value, field);
                    case "time" -> time = text(p, value, field);
                    case "key" -> key = name(text(p, value, field));
                    case "team" -> team = name(text(p, value, field));
                    case "customer" -> customer = name(text(p, value, field));
                    case "requested_model" -> requested = name(text(p, value, field));
                    case "provider" -> provider = name(text(p, value, field));
                    case "model" -> model = name(text(p, value, field));
                    case "cost_usd" -> cost = text(p, value, field);
                    case "status" -> status = (int) Math.min(999, whole(p, value, field));
                    case "input_tokens" -> input = whole(p, value, field);
                    case "output_tokens" -> output = whole(p, value, field);
                    case "cached_tokens" -> cached = whole(p, value, field);
                    case "cache_write_tokens" -> cacheWrite = whole(p, value, field);
                    case "reasoning_tokens" -> reasoning = whole(p, value, field);
                    case "end" -> end = value == JsonToken.VALUE_TRUE;
                    case "start" -> start = value == JsonToken.VALUE_TRUE;
                    case "lacks" -> lacking = strings(p, value, field);
                    case "nodes_unknown" -> unknown = text(p, value, field);
                    case "error" -> error = text(p, value, field);
                    default -> p.skipChildren(); // a field added later without a version bump means nothing to replay
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new Bad("not one JSON object");
            }
        }
        if (version < 0) {
            throw new Bad("no format version \"v\": not a Tollgate request export");
        }
        if (version > RequestExport.VERSION) {
            throw new Bad("export format version " + version + " is newer than this tollgate reads (" + RequestExport.VERSION
                    + "); replay with a tollgate at least as new as the gateway's");
        }
        if (error != null) {
            throw new Bad("the gateway stopped the export: " + error);
        }
        if (end || start) {
            lacks.addAll(lacking);
            if (unknown != null) {
                nodesUnknown = unknown;
            }
            complete |= end;
            return null;
        }
        if (time == null || requested == null || status < 0) {
            throw new Bad("a record needs time, requested_model and status");
        }
        long at;
        try {
            at = Instant.parse(time).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new Bad("time '" + time + "' is not an ISO-8601 instant");
        }
        long nanos = -1;
        if (cost != null) {
            try {
                nanos = Money.nanos(new BigDecimal(cost));
            } catch (NumberFormatException | ArithmeticException e) {
                throw new Bad("cost_usd '" + cost + "' is not a decimal amount");
            }
        }
        if (cached > input || cacheWrite > input || reasoning > output) {
            throw new Bad("token counts do not add up (cached or cache_write above input, or reasoning above output)");
        }
        return new Recorded(line, at, key, team, customer, requested, provider, model, status,
                new Usage(input, output, cached, cacheWrite, reasoning), nanos);
    }

    private String name(String s) {
        return s == null ? null : names.computeIfAbsent(s, k -> k);
    }

    private static String text(JsonParser p, JsonToken value, String field) throws IOException, Bad {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new Bad("\"" + field + "\" is not a string");
        }
        return p.getText();
    }

    private static List<String> strings(JsonParser p, JsonToken value, String field) throws IOException, Bad {
        if (value == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (value != JsonToken.START_ARRAY) {
            throw new Bad("\"" + field + "\" is not a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_STRING) {
                throw new Bad("\"" + field + "\" is not a list of strings");
            }
            out.add(p.getText());
        }
        return out;
    }

    private static long whole(JsonParser p, JsonToken value, String field) throws IOException, Bad {
        if (value == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
            throw new Bad("\"" + field + "\" is not a whole number of at least 0");
        }
        return p.getLongValue();
    }
}
