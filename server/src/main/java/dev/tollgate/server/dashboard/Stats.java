package dev.tollgate.server.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.telemetry.RequestLog;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The dashboard's numbers, aggregated in SQL from the request log over a window. */
final class Stats {

    private static final ObjectMapper JSON = dev.tollgate.providers.json.JsonBody.MAPPER; // plain decimals

    private Stats() {
    }

    static ObjectNode compute(RequestLog log, PolicySnapshot policy, Instant since, Instant until) throws SQLException {
        long to = until.toEpochMilli();
        return log.read(c -> {
            // The axes span the data, not the whole window asked for: fresh traffic fills the chart instead of
            // sitting as one dot at the right edge of 24 hours. From the first request's minute, at least 10 minutes.
            long from = since.toEpochMilli();
            try (PreparedStatement st = c.prepareStatement("SELECT MIN(time_ms) FROM requests WHERE time_ms >= ? AND time_ms < ?")) {
                st.setLong(1, from);
                st.setLong(2, to);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    long first = rs.getLong(1);
                    if (!rs.wasNull()) {
                        from = Math.max(from, Math.min(first / 60_000 * 60_000, to - 10 * 60_000));
                    }
                }
            }
            long span = Math.max(60_000, to - from);
            long bucket = Math.max(60_000, (span / 48 + 59_999) / 60_000 * 60_000);
            ObjectNode out = JSON.createObjectNode();
            out.putObject("window").put("since", since.toString()).put("from", Instant.ofEpochMilli(from).toString())
                    .put("until", until.toString()).put("bucket_seconds", bucket / 1000);
            ObjectNode totals = out.putObject("totals");
            // Refused: the gateway said no to the client (4xx: key, access, limits, budget, a bad request). Failed: 5xx.
            try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*), SUM(status >= 400), TOTAL(CAST(cost_usd AS REAL)), "
                    + "TOTAL(input_tokens), TOTAL(output_tokens), SUM(status >= 400 AND status < 500), SUM(status >= 500) "
                    + "FROM requests WHERE time_ms >= ? AND time_ms < ?")) {
                st.setLong(1, from);
                st.setLong(2, to);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    totals.put("requests", rs.getLong(1));
                    totals.put("errors", rs.getLong(2));
                    totals.put("refused", rs.getLong(6));
                    totals.put("failed", rs.getLong(7));
                    totals.put("cost_usd", plain(rs.getDouble(3)));
                    totals.put("input_tokens", rs.getLong(4));
                    totals.put("output_tokens", rs.getLong(5));
                }
            }
            ArrayNode rate = out.putArray("rate");
            try (PreparedStatement st = c.prepareStatement("SELECT (time_ms - ?) / ? AS b, COUNT(*), SUM(status >= 400), "
                    + "SUM(status >= 400 AND status < 500), SUM(status >= 500) FROM requests "
                    + "WHERE time_ms >= ? AND time_ms < ? GROUP BY b ORDER BY b")) {
                st.setLong(1, from);
                st.setLong(2, bucket);
                st.setLong(3, from);
                st.setLong(4, to);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        rate.addObject().put("t", from + rs.getLong(1) * bucket).put("requests", rs.getLong(2)).put("errors", rs.getLong(3))
                                .put("refused", rs.getLong(4)).put("failed", rs.getLong(5));
                    }
                }
            }
            ObjectNode spend = out.putObject("spend");
            spend.set("team", spendBy(c, "team", from, to, bucket, name -> name));
            spend.set("key", spendBy(c, "key_id", from, to, bucket, name -> name));
            // Models by the name clients asked for, but only names the policy declares: a client's made-up name is "(other)".
            spend.set("model", spendBy(c, "requested_model", from, to, bucket, name -> modelLabel(name, policy)));
            out.set("latency_ms", percentiles(c, "latency_ms", from, to));
            out.set("ttft_ms", percentiles(c, "ttft_ms", from, to));
            out.set("budgets", budgets(c, policy, until));
            return out;
        });
    }

    /** A requested model as the dashboard names it: a catalog name or alias, a declared target, provider/other, or (other). */
    static String modelLabel(String requested, PolicySnapshot policy) {
        if (requested.equals(NONE)) {
            return NONE;
        }
        int slash = requested.indexOf('/');
        boolean direct = slash > 0 && policy.provider(requested.substring(0, slash)).isPresent();
        if (policy.catalog().contains(requested) || policy.declaresTarget(requested) || (!direct && policy.resolve(requested).isPresent())) {
            return requested;
        }
        return direct ? requested.substring(0, slash) + "/other" : "(other)";
    }

    private static final String NONE = "(none)";

    /** Spend over time (one series per label, top 6) and the top 10 by spend, for one dimension. */
    private static ObjectNode spendBy(Connection c, String column, long from, long to, long bucket,
                                      java.util.function.UnaryOperator<String> label) throws SQLException {
        record Total(double cost, long requests) {
        }
        Map<String, Total> totals = new HashMap<>();
        Map<String, java.util.TreeMap<Long, Double>> points = new HashMap<>();
        // One pass, labelled here; past 10,000 distinct labels the rest count as (other).
        try (PreparedStatement st = c.prepareStatement("SELECT COALESCE(" + column + ", '" + NONE + "') AS v, (time_ms - ?) / ? AS b, "
                + "TOTAL(CAST(cost_usd AS REAL)), COUNT(*) FROM requests WHERE time_ms >= ? AND time_ms < ? GROUP BY v, b LIMIT 500000")) {
            st.setLong(1, from);
            st.setLong(2, bucket);
            st.setLong(3, from);
            st.setLong(4, to);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String name = label.apply(rs.getString(1));
                    if (!totals.containsKey(name) && totals.size() >= 10_000) {
                        name = "(other)";
                    }
                    double cost = rs.getDouble(3);
                    totals.merge(name, new Total(cost, rs.getLong(4)), (a, b) -> new Total(a.cost() + b.cost(), a.requests() + b.requests()));
                    points.computeIfAbsent(name, n -> new java.util.TreeMap<>()).merge(from + rs.getLong(2) * bucket, cost, Double::sum);
                }
            }
        }
        List<String> names = new ArrayList<>(totals.keySet());
        names.sort(java.util.Comparator.comparingDouble((String n) -> -totals.get(n).cost()).thenComparing(n -> n));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode top = out.putArray("top");
        names.stream().limit(10).forEach(n -> top.addObject().put("name", n).put("cost_usd", plain(totals.get(n).cost()))
                .put("requests", totals.get(n).requests()));
        ArrayNode series = out.putArray("series");
        names.stream().limit(6).forEach(n -> {
            ArrayNode p = series.addObject().put("name", n).putArray("points");
            points.get(n).forEach((t, cost) -> p.addArray().add(t).add(plain(cost)));
        });
        return out;
    }

    /** Nearest-rank percentiles, by an indexed-free sort; fine for a dashboard window. */
    private static ObjectNode percentiles(Connection c, String column, long from, long to) throws SQLException {
        ObjectNode out = JSON.createObjectNode();
        long n;
        try (PreparedStatement st = c.prepareStatement("SELECT COUNT(" + column + ") FROM requests WHERE time_ms >= ? AND time_ms < ?")) {
            st.setLong(1, from);
            st.setLong(2, to);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                n = rs.getLong(1);
            }
        }
        out.put("count", n);
        for (double p : new double[]{0.5, 0.95, 0.99}) {
            String name = "p" + Math.round(p * 100);
            if (n == 0) {
                out.putNull(name);
                continue;
            }
            long rank = Math.max(0, (long) Math.ceil(p * n) - 1);
            try (PreparedStatement st = c.prepareStatement("SELECT " + column + " FROM requests WHERE time_ms >= ? AND time_ms < ? AND "
                    + column + " IS NOT NULL ORDER BY " + column + " LIMIT 1 OFFSET ?")) {
                st.setLong(1, from);
                st.setLong(2, to);
                st.setLong(3, rank);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    out.put(name, Math.round(rs.getDouble(1) * 10) / 10.0);
                }
            }
        }
        return out;
    }

    /** Every budget in the policy: spent so far in its period and the straight-line projection to the period's end. */
    private static ArrayNode budgets(Connection c, PolicySnapshot snapshot, Instant now) throws SQLException {
        ArrayNode out = JSON.createArrayNode();
        List<Principal> principals = new ArrayList<>();
        principals.addAll(snapshot.policy().customers());
        principals.addAll(snapshot.policy().teams());
        principals.addAll(snapshot.policy().keys());
        for (Principal p : principals) {
            String level = switch (p) {
                case dev.tollgate.policy.Customer cu -> "customer";
                case dev.tollgate.policy.Team t -> "team";
                case dev.tollgate.policy.VirtualKey k -> "key";
            };
            String column = switch (level) {
                case "customer" -> "customer";
                case "team" -> "team";
                default -> "key_id";
            };
            for (Budget b : p.governance().budgets()) {
                if (!b.period().calendar()) {
                    continue; // one per session: GET /admin/sessions shows them
                }
                Instant start = b.period().windowStart(now);
                Instant end = switch (b.period()) {
                    case DAILY -> start.plus(Duration.ofDays(1));
                    case WEEKLY -> start.plus(Duration.ofDays(7));
                    case MONTHLY -> start.atZone(ZoneOffset.UTC).plusMonths(1).toInstant();
                    case TOTAL, SESSION -> null;
                };
                double spent;
                try (PreparedStatement st = c.prepareStatement("SELECT TOTAL(CAST(cost_usd AS REAL)) FROM requests WHERE " + column
                        + " = ? AND time_ms >= ?")) {
                    st.setString(1, p.id());
                    st.setLong(2, start.toEpochMilli());
                    try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        spent = rs.getDouble(1);
                    }
                }
                ObjectNode row = out.addObject().put("level", level).put("id", p.id()).put("period", b.period().id())
                        .put("usd", b.usd()).put("spent", plain(spent)).put("period_start", start.toString());
                if (end != null) {
                    double elapsed = Math.max(1, now.toEpochMilli() - start.toEpochMilli());
                    double length = end.toEpochMilli() - start.toEpochMilli();
                    double projected = spent / elapsed * length;
                    row.put("period_end", end.toString()).put("projected", projected);
                    if (spent > 0 && projected > b.usd().doubleValue()) {
                        // When the budget runs out at the current rate.
                        long exhausted = start.toEpochMilli() + (long) (b.usd().doubleValue() / spent * elapsed);
                        row.put("exhausted_at", Instant.ofEpochMilli(exhausted).toString());
                    }
                }
            }
        }
        return out;
    }

    /** A double as the shortest decimal that reads back as it (0.00001, not 1.0E-5), written plainly by the mapper. */
    private static java.math.BigDecimal plain(double d) {
        return java.math.BigDecimal.valueOf(d);
    }
}
