package dev.tollgate.server.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.server.admin.AdminAuth;
import dev.tollgate.server.admin.QueryParams;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.gitops.PolicyStatus;
import dev.tollgate.server.gitops.PolicyWatcher;
import dev.tollgate.server.telemetry.RequestLog;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;

/**
 * The usage dashboard: {@code /ui} is a static page (bundled in the jar, no CDN) that asks for an
 * admin token and reads {@code GET /admin/stats} with it; nothing but the empty page is served without one.
 */
public final class DashboardRoutes {

    private static final Map<String, String> ASSETS = Map.of(
            "/ui", "index.html",
            "/ui/", "index.html",
            "/ui/charts.js", "charts.js",
            "/ui/app.js", "app.js",
            "/ui/style.css", "style.css");

    private final PolicyHolder policy;
    private final PolicyWatcher watcher;
    private final RequestLog log;

    /** @param watcher null when the policy never changes; @param log null when the request log is off */
    public DashboardRoutes(PolicyHolder policy, PolicyWatcher watcher, RequestLog log) {
        this.policy = policy;
        this.watcher = watcher;
        this.log = log;
    }

    public void register(HttpRouting.Builder routing) {
        ASSETS.forEach((path, file) -> routing.get(path, (req, res) -> asset(file, res)));
        // HEAD as GET without the body (link checkers, uptime probes, curl -I).
        ASSETS.forEach((path, file) -> routing.head(path, (req, res) -> asset(file, res)));
        routing.get("/admin/stats", this::stats);
    }

    private static void asset(String file, ServerResponse res) {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream("/dashboard/" + file)) {
            if (in == null) {
                res.status(Status.NOT_FOUND_404).send();
                return;
            }
            String type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
            res.header(HeaderNames.CONTENT_TYPE, type + "; charset=utf-8");
            // The page holds no data; the data comes from /admin/stats with the admin token.
            res.header(HeaderNames.create("Content-Security-Policy"), "default-src 'self'; img-src 'self' data:");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.send(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void stats(ServerRequest req, ServerResponse res) {
        var viewer = AdminAuth.authorize(policy, req, res, false);
        if (viewer.isEmpty()) {
            return;
        }
        if (log == null) {
            json(res, Status.NOT_FOUND_404, "{\"error\":{\"type\":\"not_found\",\"message\":\"The request log is off (tollgate.requests.log: false); the dashboard reads it.\"}}");
            return;
        }
        Instant until = Instant.now().plusSeconds(1);
        Instant since;
        try {
            since = until.minus(QueryParams.span("since", req.query().first("since").orElse("24h"), "mhd"));
        } catch (QueryParams.Invalid e) {
            ObjectNode error = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            error.putObject("error").put("type", "invalid_request").put("message", e.getMessage() + ".");
            json(res, Status.BAD_REQUEST_400, error.toString());
            return;
        }
        try {
            ObjectNode out = Stats.compute(log, policy.current(), since, until);
            out.set("policy", policyStatus());
            out.putObject("viewer").put("id", viewer.get().id()).put("role", viewer.get().role().name().toLowerCase());
            out.with("totals").put("log_dropped", log.dropped());
            json(res, Status.OK_200, new String(dev.tollgate.providers.json.JsonBody.write(out), StandardCharsets.UTF_8)); // plain decimals
        } catch (SQLException e) {
            ObjectNode error = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            error.putObject("error").put("type", "server_error").put("message", "The request log could not be read: " + e.getMessage());
            json(res, Status.INTERNAL_SERVER_ERROR_500, error.toString());
        }
    }

    private ObjectNode policyStatus() {
        ObjectNode out = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        if (watcher == null) {
            out.put("commit", policy.current().version());
            return out;
        }
        PolicyStatus s = watcher.status();
        out.put("commit", s.active().version());
        s.active().author().ifPresent(a -> out.put("author", a));
        s.active().message().ifPresent(m -> out.put("message", m));
        out.put("source", s.source());
        out.put("last_result", s.lastResult().id());
        s.lastFetch().ifPresent(t -> out.put("last_fetch", t.toString()));
        out.put("degraded", s.degraded().isPresent());
        ArrayNode errors = out.putArray("errors");
        s.lastErrors().forEach(errors::add);
        return out;
    }

    private static void json(ServerResponse res, Status status, String body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }
}
