package dev.tollgate.server.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.server.admin.AdminAuth;
import dev.tollgate.server.admin.QueryParams;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.trace.RequestRecord;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code GET /metrics} (Prometheus; a scrape token or an admin token on the main port, none on the
 * management port) and {@code GET /admin/requests} (admin token).
 */
final class TelemetryRoutes {

    private static final ObjectMapper JSON = dev.tollgate.providers.json.JsonBody.MAPPER; // plain decimals

    private final PolicyHolder policy;
    private final Telemetry telemetry;
    private final MetricsAccess access;

    TelemetryRoutes(PolicyHolder policy, Telemetry telemetry, MetricsAccess access) {
        this.policy = policy;
        this.telemetry = telemetry;
        this.access = access;
    }

    void register(HttpRouting.Builder routing) {
        routing.get("/metrics", (req, res) -> {
            if (!access.allows(req, policy.current())) {
                res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                send(res, Status.UNAUTHORIZED_401, error("unauthorized", "GET /metrics on this port needs Authorization: Bearer with the "
                        + "scrape token (tollgate.metrics.token, TOLLGATE_METRICS_TOKEN) or an admin token; or scrape the management port "
                        + "(tollgate.management.port), which needs none."));
                return;
            }
            scrape(res);
        });
        routing.get("/admin/requests", this::requests);
        routing.get("/admin/requests/export", this::export); // before {id}, which would take "export"
        routing.get("/admin/requests/{id}", this::request);
    }

    /** The management listener's routes: {@code /metrics} without a token. */
    void registerManagement(HttpRouting.Builder routing) {
        routing.get("/metrics", (req, res) -> scrape(res));
    }

    private void scrape(ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(telemetry.metrics().scrape(policy.current()));
    }

    private void requests(ServerRequest req, ServerResponse res) {
        if (AdminAuth.authorize(policy, req, res, false).isEmpty()) {
            return;
        }
        RequestLog log = telemetry.log();
        if (log == null) {
            send(res, Status.NOT_FOUND_404, error("The request log is off (tollgate.requests.log: false)."));
            return;
        }
        RequestLog.Query query;
        try {
            Instant now = Instant.now();
            query = new RequestLog.Query(param(req, "key"), param(req, "team"), param(req, "model"),
                    optional(req, "status", s -> QueryParams.status("status", s)),
                    optional(req, "since", s -> QueryParams.time("since", s, now)),
                    optional(req, "until", s -> QueryParams.time("until", s, now)),
                    Optional.ofNullable(param(req, "limit")).isEmpty() ? 100 : QueryParams.whole("limit", param(req, "limit"), 1, 1000));
        } catch (QueryParams.Invalid e) {
            send(res, Status.BAD_REQUEST_400, error(e.getMessage()
                    + ". Parameters: key, team, model, status (429, 4xx, error), since/until (2026-11-24T10:00:00Z or 15m, 2h, 7d ago), limit (1-1000)."));
            return;
        }
        try {
            ObjectNode out = JSON.createObjectNode();
            ArrayNode rows = out.putArray("requests");
            for (RequestRecord r : log.search(query)) {
                rows.add(json(r));
            }
            out.put("dropped", log.dropped());
            send(res, Status.OK_200, out);
        } catch (SQLException e) {
            send(res, Status.INTERNAL_SERVER_ERROR_500, error("The request log could not be read: " + e.getMessage()));
        }
    }

    /** Metadata of every record since {@code since} (default 7d), streamed as NDJSON for {@code tollgate replay}. */
    private void export(ServerRequest req, ServerResponse res) {
        if (AdminAuth.authorize(policy, req, res, false).isEmpty()) {
            return;
        }
        RequestLog log = telemetry.log();
        if (log == null) {
            send(res, Status.NOT_FOUND_404, error("The request log is off (tollgate.requests.log: false)."));
            return;
        }
        Instant since;
        try {
            since = QueryParams.time("since", Optional.ofNullable(param(req, "since")).orElse("7d"), Instant.now());
        } catch (QueryParams.Invalid e) {
            send(res, Status.BAD_REQUEST_400, error(e.getMessage() + ". Parameter: since (2026-11-24T10:00:00Z or 15m, 2h, 7d ago; default 7d)."));
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        try (java.io.OutputStream out = res.outputStream()) {
            try {
                RequestExport.write(log, since, out, telemetry.exportCoverage());
            } catch (SQLException e) {
                // Headers are gone by now: the reader sees this line and no end line, and says the export is incomplete.
                out.write(dev.tollgate.providers.json.JsonBody.write(JSON.createObjectNode().put("v", RequestExport.VERSION)
                        .put("error", "The request log could not be read: " + e.getMessage())));
                out.write('\n');
            }
        } catch (java.io.IOException e) {
            // the client went away; nothing to answer
        }
    }

    /** One record, with the prompt and answer when its caller's policy captured them. */
    private void request(ServerRequest req, ServerResponse res) {
        if (AdminAuth.authorize(policy, req, res, false).isEmpty()) {
            return;
        }
        RequestLog log = telemetry.log();
        if (log == null) {
            send(res, Status.NOT_FOUND_404, error("The request log is off (tollgate.requests.log: false)."));
            return;
        }
        String id = req.path().pathParameters().get("id");
        try {
            Optional<RequestRecord> found = log.byId(id);
            if (found.isEmpty()) {
                send(res, Status.NOT_FOUND_404, error("No request '" + id + "' in the log: it may be older than the retention, "
                        + "or not written yet (records are written within a second). Find ids with GET /admin/requests."));
                return;
            }
            ObjectNode out = json(found.get());
            RequestRecord.Content content = found.get().content();
            if (content == null) {
                out.putNull("content");
            } else {
                out.putObject("content").put("request", content.request()).put("response", content.response());
            }
            send(res, Status.OK_200, out);
        } catch (SQLException e) {
            send(res, Status.INTERNAL_SERVER_ERROR_500, error("The request log could not be read: " + e.getMessage()));
        }
    }

    static ObjectNode json(RequestRecord r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", r.id());
        o.put("time", r.time().toString());
        o.put("key", r.keyId());
        o.put("team", r.team());
        o.put("customer", r.customer());
        o.put("surface", r.surface());
        o.put("api", r.api());
        o.put("client", r.client());
        o.put("requested_model", r.requestedModel());
        o.put("provider", r.provider());
        o.put("model", r.model());
        ArrayNode attempts = o.putArray("attempts");
        r.attempts().forEach(a -> {
            ObjectNode attempt = attempts.addObject().put("provider", a.provider()).put("model", a.model())
                    .put("outcome", a.outcome()).put("ms", round(a.millis()));
            if (!a.dropped().isEmpty()) {
                ObjectNode dropped = attempt.putObject("dropped");
                new java.util.TreeMap<>(a.dropped()).forEach(dropped::put);
            }
        });
        o.put("status", r.status());
        o.put("error_type", r.errorType());
        o.put("stream", r.stream());
        ObjectNode tokens = o.putObject("tokens");
        tokens.put("input", r.inputTokens());
        tokens.put("output", r.outputTokens());
        tokens.put("cached", r.cachedTokens());
        tokens.put("cache_write", r.cacheWriteTokens());
        tokens.put("reasoning", r.reasoningTokens());
        o.put("cost_usd", r.costUsd());
        o.put("latency_ms", round(r.latencyMillis()));
        if (r.ttftMillis() == null) {
            o.putNull("ttft_ms");
        } else {
            o.put("ttft_ms", round(r.ttftMillis()));
        }
        o.put("overhead_ms", round(r.overheadMillis()));
        o.put("policy_commit", r.policyCommit());
        o.put("trace_id", r.traceId());
        o.put("notes", r.notes());
        return o;
    }

    private static double round(double millis) {
        return Math.round(millis * 1000) / 1000.0;
    }

    private static String param(ServerRequest req, String name) {
        return req.query().first(name).filter(v -> !v.isBlank()).orElse(null);
    }

    private interface Parse<T> {
        T apply(String text) throws QueryParams.Invalid;
    }

    private static <T> T optional(ServerRequest req, String name, Parse<T> parse) throws QueryParams.Invalid {
        String text = param(req, name);
        return text == null ? null : parse.apply(text);
    }

    private static ObjectNode error(String message) {
        return error("invalid_request", message);
    }

    private static ObjectNode error(String type, String message) {
        ObjectNode out = JSON.createObjectNode();
        out.putObject("error").put("type", type).put("message", message);
        return out;
    }

    private static void send(ServerResponse res, Status status, ObjectNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(dev.tollgate.providers.json.JsonBody.write(body)); // plain decimals
    }
}
