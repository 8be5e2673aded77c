package dev.tollgate.server.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * The request log's metadata as newline-delimited JSON, oldest first, for {@code tollgate replay}:
 * who, when, which model, tokens, cost; never content. Every line carries {@code "v"}, the format
 * version, so a reader can refuse lines newer than it understands instead of guessing. The last line
 * is {@code {"v":1,"end":true,"records":N}}: an export without it was cut short. In Redis mode the
 * first line ({@code "start": true}) and the end line also say which node wrote it and which live
 * nodes' logs it lacks (the log is per node).
 */
public final class RequestExport {

    /** The format written. Bump it when a field changes meaning; adding a field does not need it. */
    public static final int VERSION = 1;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET).build();
    private static final String SELECT = "SELECT id, time_ms, key_id, team, customer, client, api, requested_model, provider, model, "
            + "status, error_type, stream, input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, cost_usd, "
            + "policy_commit FROM requests WHERE time_ms >= ? ORDER BY time_ms, id";

    private RequestExport() {
    }

    /** Which nodes' requests an export covers. */
    public sealed interface Coverage {
        /** One gateway (no Redis): its log is every request. */
        record Alone() implements Coverage {
        }

        /** Nodes sharing a Redis: {@code live} are those registered now, this node among them. */
        record Shared(String node, List<String> live) implements Coverage {
            public Shared {
                live = List.copyOf(live);
            }

            List<String> lacks() {
                return live.stream().filter(n -> !n.equals(node)).toList();
            }
        }

        /** Nodes sharing a Redis that did not answer: which nodes exist is not known. */
        record Unknown(String node, String why) implements Coverage {
        }
    }

    /** Streams every record since {@code since} to {@code out}; the number written. */
    public static long write(RequestLog log, Instant since, OutputStream out) throws SQLException, IOException {
        return write(log, since, out, new Coverage.Alone());
    }

    /** As {@link #write(RequestLog, Instant, OutputStream)}, saying in the first and end lines what it covers. */
    public static long write(RequestLog log, Instant since, OutputStream out, Coverage coverage) throws SQLException, IOException {
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            if (!(coverage instanceof Coverage.Alone)) {
                json.writeStartObject();
                json.writeNumberField("v", VERSION);
                json.writeBooleanField("start", true);
                coverage(json, coverage);
                json.writeEndObject();
                json.writeRaw('\n');
            }
            long n;
            try {
                n = log.read(c -> {
                    try (PreparedStatement st = c.prepareStatement(SELECT)) {
                        st.setLong(1, since.toEpochMilli());
                        st.setFetchSize(1000);
                        long count = 0;
                        try (ResultSet rs = st.executeQuery()) {
                            while (rs.next()) {
                                line(json, rs);
                                count++;
                            }
                        }
                        return count;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            json.writeStartObject();
            json.writeNumberField("v", VERSION);
            json.writeBooleanField("end", true);
            json.writeNumberField("records", n);
            coverage(json, coverage);
            json.writeEndObject();
            json.writeRaw('\n');
            json.flush();
            return n;
        }
    }

    /** {@code "node"}, {@code "nodes"} and {@code "lacks"} ({@code null} with {@code "nodes_unknown"} when Redis did not answer). */
    private static void coverage(JsonGenerator json, Coverage coverage) throws IOException {
        switch (coverage) {
            case Coverage.Alone a -> {
            }
            case Coverage.Shared s -> {
                json.writeStringField("node", s.node());
                strings(json, "nodes", s.live());
                strings(json, "lacks", s.lacks());
            }
            case Coverage.Unknown u -> {
                json.writeStringField("node", u.node());
                json.writeNullField("nodes");
                json.writeNullField("lacks");
                json.writeStringField("nodes_unknown", u.why());
            }
        }
    }

    private static void strings(JsonGenerator json, String field, List<String> values) throws IOException {
        json.writeArrayFieldStart(field);
        for (String v : values) {
            json.writeString(v);
        }
        json.writeEndArray();
    }

    private static void line(JsonGenerator json, ResultSet rs) throws SQLException, IOException {
        json.writeStartObject();
        json.writeNumberField("v", VERSION);
        json.writeStringField("id", rs.getString("id"));
        json.writeStringField("time", Instant.ofEpochMilli(rs.getLong("time_ms")).toString());
        json.writeStringField("key", rs.getString("key_id"));
        json.writeStringField("team", rs.getString("team"));
        json.writeStringField("customer", rs.getString("customer"));
        json.writeStringField("client", rs.getString("client"));
        json.writeStringField("api", rs.getString("api"));
        json.writeStringField("requested_model", rs.getString("requested_model"));
        json.writeStringField("provider", rs.getString("provider"));
        json.writeStringField("model", rs.getString("model"));
        json.writeNumberField("status", rs.getInt("status"));
        json.writeStringField("error_type", rs.getString("error_type"));
        json.writeBooleanField("stream", rs.getInt("stream") == 1);
        json.writeNumberField("input_tokens", rs.getLong("input_tokens"));
        json.writeNumberField("output_tokens", rs.getLong("output_tokens"));
        json.writeNumberField("cached_tokens", rs.getLong("cached_tokens"));
        json.writeNumberField("cache_write_tokens", rs.getLong("cache_write_tokens"));
        json.writeNumberField("reasoning_tokens", rs.getLong("reasoning_tokens"));
        // a string: the exact decimal, never a binary double
        json.writeStringField("cost_usd", rs.getString("cost_usd"));
        json.writeStringField("policy_commit", rs.getString("policy_commit"));
        json.writeEndObject();
        json.writeRaw('\n');
    }
}
