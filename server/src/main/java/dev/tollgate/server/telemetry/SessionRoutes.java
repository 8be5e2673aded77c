package dev.tollgate.server.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Admin;
import dev.tollgate.server.admin.AdminAuth;
import dev.tollgate.server.admin.QueryParams;
import dev.tollgate.server.audit.AuditEvent;
import dev.tollgate.server.audit.AuditLog;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.call.SessionId;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.session.Sessions;
import dev.tollgate.server.shared.StoreUnreachable;
import dev.tollgate.server.trace.RequestRecord;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Agent sessions in the admin API, from the request log (every request of a session, whoever served
 * it on this node) and the live state (pauses): {@code GET /admin/sessions?key=&team=&since=&limit=}
 * (most expensive first), {@code GET /admin/sessions/{id}?key=} (its timeline, request by request) and
 * {@code POST /admin/sessions/{id}/resume?key=} (operator) to lift the runaway brake's pause.
 * A session is its id under one key: the same id under two keys is two rows.
 */
public final class SessionRoutes {

    private static final ObjectMapper JSON = dev.tollgate.providers.json.JsonBody.MAPPER; // plain decimals
    private static final int TIMELINE_LIMIT = 5000;

    private final PolicyHolder policy;
    private final Telemetry telemetry;
    private final Sessions sessions;
    /** In Redis mode, every node's totals; null on one node (the request log has them). */
    private final SharedSessionTotals shared;

    public SessionRoutes(PolicyHolder policy, Telemetry telemetry, Sessions sessions) {
        this(policy, telemetry, sessions, null);
    }

    /** @param shared every node's session totals in Redis, which the request log's records add to; null on one node */
    public SessionRoutes(PolicyHolder policy, Telemetry telemetry, Sessions sessions, SharedSessionTotals shared) {
        this.policy = policy;
        this.telemetry = telemetry;
        this.sessions = sessions;
        this.shared = shared;
        if (shared != null) {
            telemetry.sessionTotals(shared::offer);
        }
        AuditLog audit = telemetry.audit();
        if (audit != null) {
            sessions.onTrip(t -> audit.append(new AuditEvent.AdminAction("runaway-brake", "gateway",
                    "pause session " + t.key().id() + " of key " + t.key().keyId() + " until " + t.pause().until(), t.pause().reason())));
        }
    }

    public void register(HttpRouting.Builder routing) {
        routing.get("/admin/sessions", this::list);
        routing.get("/admin/sessions/{id}", this::timeline);
        routing.post("/admin/sessions/{id}/resume", this::resume);
    }

    /** One session's totals, as the list and the timeline show them. */
    record Totals(String key, String session, String team, String customer, long requests, long errors, long input, long output,
                  long cached, long cacheWrite, long reasoning, long costNanos, long unpriced, String models, String clients,
                  String agents, long toolCalls, long first, long last) {
    }

    private static final String AGGREGATE = "SELECT key_id, session_id, MAX(team), MAX(customer), COUNT(*), SUM(status >= 400), "
            + "SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), "
            // Exact money: each cost is a decimal of at most 9 places, as nanodollars it is a whole number.
            + "SUM(CAST(ROUND(CAST(cost_usd AS REAL) * 1000000000) AS INTEGER)), SUM(cost_usd IS NULL AND status < 400), "
            + "GROUP_CONCAT(DISTINCT requested_model), GROUP_CONCAT(DISTINCT client), GROUP_CONCAT(DISTINCT agent_id), "
            + "SUM(tool_call IS NOT NULL AND status < 400), MIN(time_ms), MAX(time_ms) FROM requests WHERE session_id IS NOT NULL";

    static List<Totals> totals(RequestLog log, String key, String team, String session, Instant since, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder(AGGREGATE);
        List<Object> args = new ArrayList<>();
        if (session != null) {
            sql.append(" AND session_id = ?");
            args.add(session);
        }
        if (key != null) {
            sql.append(" AND key_id = ?");
            args.add(key);
        }
        if (team != null) {
            sql.append(" AND team = ?");
            args.add(team);
        }
        if (since != null) {
            sql.append(" AND time_ms >= ?");
            args.add(since.toEpochMilli());
        }
        sql.append(" GROUP BY key_id, session_id ORDER BY 12 DESC, 19 DESC LIMIT ?");
        args.add(limit);
        return log.read(c -> {
            List<Totals> out = new ArrayList<>();
            try (PreparedStatement st = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    st.setObject(i + 1, args.get(i));
                }
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Totals(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6),
                                rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getLong(12), rs.getLong(13),
                                rs.getString(14), rs.getString(15), rs.getString(16), rs.getLong(17), rs.getLong(18), rs.getLong(19)));
                    }
                }
            }
            return out;
        });
    }

    private ObjectNode json(Totals t) {
        ObjectNode row = JSON.createObjectNode();
        row.put("id", t.session()).put("key", t.key()).put("team", t.team()).put("customer", t.customer())
                .put("cost_usd", Money.usd(t.costNanos())).put("requests", t.requests()).put("errors", t.errors());
        if (t.unpriced() > 0) {
            row.put("unpriced_requests", t.unpriced());
        }
        row.putObject("tokens").put("input", t.input()).put("output", t.output()).put("cached", t.cached())
                .put("cache_write", t.cacheWrite()).put("reasoning", t.reasoning());
        row.put("cache_read_share", t.input() == 0 ? BigDecimal.ZERO
                : BigDecimal.valueOf(t.cached()).divide(BigDecimal.valueOf(t.input()), 4, java.math.RoundingMode.HALF_UP));
        list(row.putArray("models"), t.models());
        list(row.putArray("clients"), t.clients());
        list(row.putArray("subagents"), t.agents());
        row.put("tool_calls", t.toolCalls()).put("first_seen", Instant.ofEpochMilli(t.first()).toString())
                .put("last_seen", Instant.ofEpochMilli(t.last()).toString());
        sessions.view(new Sessions.Key(t.key(), t.session())).ifPresent(v -> {
            row.put("in_flight_usd", Money.usd(v.inFlightNanos()));
            if (v.pause() != null) {
                row.putObject("paused").put("rule", v.pause().rule()).put("reason", v.pause().reason())
                        .put("since", v.pause().since().toString()).put("until", v.pause().until().toString());
            }
        });
        return row;
    }

    private static void list(ArrayNode into, String concatenated) {
        if (concatenated != null) {
            Arrays.stream(concatenated.split(",")).sorted().forEach(into::add);
        }
    }

    private void list(ServerRequest req, ServerResponse res) {
        if (AdminAuth.authorize(policy, req, res, false).isEmpty() || noLog(res)) {
            return;
        }
        Instant since;
        int limit;
        try {
            Instant now = Instant.now();
            since = QueryParams.time("since", param(req, "since").orElse("24h"), now);
            limit = param(req, "limit").isEmpty() ? 100 : QueryParams.whole("limit", param(req, "limit").get(), 1, 1000);
        } catch (QueryParams.Invalid e) {
            send(res, Status.BAD_REQUEST_400, error(e.getMessage() + ". Parameters: key, team, since (2026-11-24T10:00:00Z or 15m, 2h, "
                    + "7d ago; default 24h), limit (1-1000, default 100)."));
            return;
        }
        try {
            ObjectNode out = JSON.createObjectNode();
            ArrayNode rows = out.putArray("sessions");
            String key = param(req, "key").orElse(null);
            String team = param(req, "team").orElse(null);
            for (Totals t : shared != null ? shared.list(key, team, since, limit) : totals(telemetry.log(), key, team, null, since, limit)) {
                rows.add(json(t));
            }
            ArrayNode paused = out.putArray("paused");
            for (Sessions.View v : sessions.paused()) {
                paused.addObject().put("id", v.key().id()).put("key", v.key().keyId()).put("rule", v.pause().rule())
                        .put("reason", v.pause().reason()).put("until", v.pause().until().toString());
            }
            send(res, Status.OK_200, out);
        } catch (SQLException e) {
            send(res, Status.INTERNAL_SERVER_ERROR_500, error("The request log could not be read: " + e.getMessage()));
        } catch (StoreUnreachable e) {
            unreachable(res);
        }
    }

    /** Like a usage report: never a partial list while Redis is away. */
    private static void unreachable(ServerResponse res) {
        res.header(HeaderNames.RETRY_AFTER, "1");
        ObjectNode body = error("The shared state store (Redis) is unreachable: every node's sessions are read from it. Retry shortly.");
        ((ObjectNode) body.get("error")).put("type", "shared_state_unreachable");
        send(res, Status.SERVICE_UNAVAILABLE_503, body);
    }

    private void timeline(ServerRequest req, ServerResponse res) {
        if (AdminAuth.authorize(policy, req, res, false).isEmpty() || noLog(res)) {
            return;
        }
        String id = req.path().pathParameters().get("id");
        if (!SessionId.valid(id)) {
            send(res, Status.BAD_REQUEST_400, error("A session id is at most " + SessionId.MAX_LENGTH
                    + " letters, digits and . _ : - ; find ids with GET /admin/sessions."));
            return;
        }
        String key = param(req, "key").orElse(null);
        try {
            List<Totals> found = shared != null ? shared.session(id, key) : totals(telemetry.log(), key, null, id, null, 1000);
            if (found.isEmpty()) {
                send(res, Status.NOT_FOUND_404, error("No session '" + id + "'" + (key == null ? "" : " of key '" + key + "'")
                        + " in the request log (kept 30 days by default; records are written within a second)."));
                return;
            }
            if (found.size() > 1 && key == null) {
                ObjectNode out = error("Session id '" + id + "' was used by " + found.size() + " keys, each its own session: add ?key=ID.");
                ArrayNode keys = out.putArray("keys");
                found.forEach(t -> keys.add(t.key()));
                send(res, Status.CONFLICT_409, out);
                return;
            }
            Totals t = found.get(0);
            ObjectNode out = json(t);
            ArrayNode rows = out.putArray("timeline");
            if (shared != null) {
                // Every node's latest requests of the session, from Redis; each node's request log keeps them all.
                out.put("timeline_covers", "the latest " + SharedSessionTotals.TIMELINE_ROWS + " requests of the session on every node");
                shared.timeline(t.key(), id).forEach(rows::add);
            } else {
                for (RequestRecord r : telemetry.log().session(t.key(), id, TIMELINE_LIMIT)) {
                    rows.add(row(r));
                }
            }
            send(res, Status.OK_200, out);
        } catch (SQLException e) {
            send(res, Status.INTERNAL_SERVER_ERROR_500, error("The request log could not be read: " + e.getMessage()));
        } catch (StoreUnreachable e) {
            unreachable(res);
        }
    }

    /** One request of a session's timeline. */
    static ObjectNode row(RequestRecord r) {
        ObjectNode row = JSON.createObjectNode().put("request_id", r.id()).put("time", r.time().toString()).put("status", r.status())
                .put("model", r.requestedModel()).put("client", r.client()).put("agent", r.agent()).put("tool_call", r.toolCall())
                .put("input_tokens", r.inputTokens()).put("output_tokens", r.outputTokens()).put("cached_tokens", r.cachedTokens())
                .put("error_type", r.errorType()).put("notes", r.notes()).put("latency_ms", Math.round(r.latencyMillis()));
        if (r.costUsd() == null) {
            row.putNull("cost_usd");
        } else {
            row.put("cost_usd", r.costUsd().stripTrailingZeros());
        }
        return row;
    }

    private void resume(ServerRequest req, ServerResponse res) {
        Optional<Admin> admin = AdminAuth.authorize(policy, req, res, true);
        if (admin.isEmpty()) {
            return;
        }
        String id = req.path().pathParameters().get("id");
        if (!SessionId.valid(id)) {
            send(res, Status.BAD_REQUEST_400, error("A session id is at most " + SessionId.MAX_LENGTH + " letters, digits and . _ : -"));
            return;
        }
        String key = param(req, "key").orElse(null);
        List<Sessions.Key> resumed;
        try {
            resumed = sessions.resume(id, key);
        } catch (StoreUnreachable e) {
            unreachable(res);
            return;
        }
        AuditLog audit = telemetry.audit();
        if (audit != null) {
            audit.append(new AuditEvent.AdminAction(admin.get().id(), admin.get().role().name().toLowerCase(java.util.Locale.ROOT),
                    "resume session " + id + (key == null ? "" : " of key " + key),
                    resumed.isEmpty() ? "not paused" : "resumed " + resumed.size()));
        }
        if (resumed.isEmpty()) {
            send(res, Status.NOT_FOUND_404, error("Session '" + id + "'" + (key == null ? "" : " of key '" + key + "'")
                    + " is not paused" + (sessions.shared() ? "." : " on this node.")));
            return;
        }
        ObjectNode out = JSON.createObjectNode().put("resumed", id);
        ArrayNode keys = out.putArray("keys");
        resumed.forEach(k -> keys.add(k.keyId()));
        send(res, Status.OK_200, out);
    }

    private boolean noLog(ServerResponse res) {
        if (telemetry.log() == null) {
            send(res, Status.NOT_FOUND_404, error("The request log is off (tollgate.requests.log: false); sessions are read from it."));
            return true;
        }
        return false;
    }

    private static Optional<String> param(ServerRequest req, String name) {
        return req.query().first(name).filter(v -> !v.isBlank());
    }

    private static ObjectNode error(String message) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("error").put("type", "invalid_request").put("message", message);
        return root;
    }

    private static void send(ServerResponse res, Status status, ObjectNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(JSON.writeValueAsBytes(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
