package dev.tollgate.server.telemetry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.server.trace.RequestRecord;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;

/** One request record as a row of {@code requests.db}, and back: columns bound by name, attempts as compact JSON. */
final class RequestRows {

    private static final ObjectMapper JSON = dev.tollgate.providers.json.JsonBody.MAPPER; // plain decimals

    private RequestRows() {
    }

    static void bind(PreparedStatement insert, RequestRecord r) throws SQLException {
        int i = 1;
        insert.setString(i++, r.id());
        insert.setLong(i++, r.time().toEpochMilli());
        insert.setString(i++, r.keyId());
        insert.setString(i++, r.team());
        insert.setString(i++, r.customer());
        insert.setString(i++, r.surface());
        insert.setString(i++, r.api());
        insert.setString(i++, r.client());
        insert.setString(i++, r.requestedModel());
        insert.setString(i++, r.provider());
        insert.setString(i++, r.model());
        insert.setString(i++, attemptsJson(r.attempts()));
        insert.setInt(i++, r.status());
        insert.setString(i++, r.errorType());
        insert.setInt(i++, r.stream() ? 1 : 0);
        insert.setLong(i++, r.inputTokens());
        insert.setLong(i++, r.outputTokens());
        insert.setLong(i++, r.cachedTokens());
        insert.setLong(i++, r.cacheWriteTokens());
        insert.setLong(i++, r.reasoningTokens());
        insert.setString(i++, r.costUsd() == null ? null : r.costUsd().toPlainString());
        insert.setDouble(i++, r.latencyMillis());
        if (r.ttftMillis() == null) {
            insert.setNull(i++, Types.REAL);
        } else {
            insert.setDouble(i++, r.ttftMillis());
        }
        insert.setDouble(i++, r.upstreamMillis());
        insert.setString(i++, r.policyCommit());
        insert.setString(i++, r.traceId());
        insert.setString(i++, r.content() == null ? null : r.content().request());
        insert.setString(i++, r.content() == null ? null : r.content().response());
        insert.setString(i++, r.notes());
        insert.setString(i++, r.session());
        insert.setString(i++, r.agent());
        insert.setString(i++, r.toolCall());
    }

    static String attemptsJson(List<RequestRecord.Attempt> attempts) {
        StringBuilder json = new StringBuilder(64 * attempts.size() + 2).append('[');
        for (RequestRecord.Attempt a : attempts) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("{\"provider\":");
            quote(json, a.provider());
            json.append(",\"model\":");
            quote(json, a.model());
            json.append(",\"outcome\":");
            quote(json, a.outcome());
            json.append(",\"millis\":");
            micros(json, Double.isFinite(a.millis()) ? a.millis() : 0);
            if (!a.dropped().isEmpty()) {
                json.append(",\"dropped\":{");
                boolean first = true;
                for (var d : new java.util.TreeMap<>(a.dropped()).entrySet()) {
                    json.append(first ? "" : ",");
                    quote(json, d.getKey());
                    json.append(':').append(d.getValue());
                    first = false;
                }
                json.append('}');
            }
            json.append('}');
        }
        return json.append(']').toString();
    }

    /** Milliseconds to the microsecond ("12.345"), without Double.toString's shortest-digits search. */
    private static void micros(StringBuilder json, double millis) {
        long us = Math.round(millis * 1000);
        if (us < 0) {
            json.append('-');
            us = -us;
        }
        long frac = us % 1000;
        json.append(us / 1000).append('.').append(frac < 100 ? (frac < 10 ? "00" : "0") : "").append(frac);
    }

    private static void quote(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
        } else {
            json.append('"').append(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(value)).append('"');
        }
    }

    /** The record a row holds, with its captured content when it was asked for. */
    static RequestRecord read(ResultSet rs, RequestRecord.Content content) throws SQLException {
        List<RequestRecord.Attempt> attempts;
        try {
            attempts = JSON.readValue(rs.getString("attempts"), new TypeReference<>() { });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            attempts = List.of();
        }
        String cost = rs.getString("cost_usd");
        double ttft = rs.getDouble("ttft_ms");
        Double ttftMillis = rs.wasNull() ? null : ttft;
        return new RequestRecord(rs.getString("id"), Instant.ofEpochMilli(rs.getLong("time_ms")), rs.getString("key_id"),
                rs.getString("team"), rs.getString("customer"), rs.getString("surface"), rs.getString("api"), rs.getString("client"),
                rs.getString("requested_model"), rs.getString("provider"), rs.getString("model"), attempts, rs.getInt("status"),
                rs.getString("error_type"), rs.getInt("stream") == 1, rs.getLong("input_tokens"), rs.getLong("output_tokens"),
                rs.getLong("cached_tokens"), rs.getLong("cache_write_tokens"), rs.getLong("reasoning_tokens"),
                cost == null ? null : new BigDecimal(cost), rs.getDouble("latency_ms"), ttftMillis, rs.getDouble("upstream_ms"),
                rs.getString("policy_commit"), rs.getString("trace_id"), content, rs.getString("notes"), rs.getString("session_id"),
                rs.getString("agent_id"), rs.getString("tool_call"));
    }

    /** Writes what is queued (up to a deadline), then closes the store. */
}
