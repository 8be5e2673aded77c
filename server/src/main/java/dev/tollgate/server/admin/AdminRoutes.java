package dev.tollgate.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Admin;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.server.audit.AuditEvent;
import dev.tollgate.server.audit.AuditLog;
import dev.tollgate.server.policy.PolicyHolder;
import dev.tollgate.server.policy.PolicyStatus;
import dev.tollgate.server.policy.PolicyWatcher;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The admin API for the policy: {@code GET /admin/policy} (viewer) shows the commit in force and the
 * last one tried; {@code POST /admin/policy/refresh} (operator, or a signed GitHub/GitLab webhook)
 * pulls at once. ({@code GET /metrics} is served by the telemetry package.)
 * Admin tokens come from the policy's {@code admins:} (SHA-256 only), so granting access is a pull request.
 */
public final class AdminRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PolicyHolder policy;
    private final PolicyWatcher watcher;
    private final Optional<String> webhookSecret;

    private final AuditLog audit;

    public AdminRoutes(PolicyHolder policy, PolicyWatcher watcher, Optional<String> webhookSecret) {
        this(policy, watcher, webhookSecret, null);
    }

    /** @param audit where admin actions are recorded; null records none */
    public AdminRoutes(PolicyHolder policy, PolicyWatcher watcher, Optional<String> webhookSecret, AuditLog audit) {
        this.audit = audit;
        this.policy = policy;
        this.watcher = watcher;
        this.webhookSecret = webhookSecret;
    }

    public void register(HttpRouting.Builder routing) {
        routing.get("/admin/policy", (req, res) -> {
            if (authorize(req, res, false)) {
                send(res, Status.OK_200, status(watcher.status()));
            }
        });
        routing.post("/admin/policy/refresh", this::refresh);
    }

    private void refresh(ServerRequest req, ServerResponse res) {
        byte[] body = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
        boolean webhook = req.headers().contains(HeaderNames.create("X-Hub-Signature-256"))
                || req.headers().contains(HeaderNames.create("X-Gitlab-Token"));
        if (webhook) {
            if (!validWebhook(req, body)) {
                send(res, Status.UNAUTHORIZED_401, error("unauthorized", webhookSecret.isEmpty()
                        ? "Webhooks are off: set TOLLGATE_WEBHOOK_SECRET on the gateway and the same secret on the webhook."
                        : "The webhook signature does not match: the webhook's secret must equal TOLLGATE_WEBHOOK_SECRET."));
                return;
            }
        }
        Optional<Admin> admin = webhook ? Optional.empty() : AdminAuth.authorize(policy, req, res, true);
        if (!webhook && admin.isEmpty()) {
            return;
        }
        PolicyStatus status = watcher.refresh();
        if (audit != null) {
            String actor = admin.map(a -> "admin:" + a.id()).orElse(req.headers().contains(HeaderNames.create("X-Hub-Signature-256"))
                    ? "webhook:github" : "webhook:gitlab");
            audit.append(new AuditEvent.AdminAction(actor, admin.map(a -> a.role().name().toLowerCase()).orElse("webhook"),
                    "policy.refresh", status.lastResult().id() + " (" + status.active().version() + ")"));
        }
        ObjectNode out = status(status);
        out.put("result", status.lastResult().id());
        send(res, Status.OK_200, out);
    }

    /** GitHub signs the body with HMAC-SHA256 (X-Hub-Signature-256); GitLab sends the secret itself (X-Gitlab-Token). */
    private boolean validWebhook(ServerRequest req, byte[] body) {
        if (webhookSecret.isEmpty()) {
            return false;
        }
        byte[] secret = webhookSecret.get().getBytes(StandardCharsets.UTF_8);
        Optional<String> github = req.headers().first(HeaderNames.create("X-Hub-Signature-256"));
        if (github.isPresent()) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
                return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), github.get().trim().getBytes(StandardCharsets.UTF_8));
            } catch (NoSuchAlgorithmException | InvalidKeyException e) {
                return false;
            }
        }
        return req.headers().first(HeaderNames.create("X-Gitlab-Token"))
                .map(t -> MessageDigest.isEqual(secret, t.getBytes(StandardCharsets.UTF_8)))
                .orElse(false);
    }

    /** Checks the bearer token against the policy's admins; answers 401/403 itself when it fails. */
    private boolean authorize(ServerRequest req, ServerResponse res, boolean act) {
        return AdminAuth.authorize(policy, req, res, act).isPresent();
    }

    static ObjectNode status(PolicyStatus s) {
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", s.mode());
        out.put("source", s.source());
        s.branch().ifPresent(b -> out.put("branch", b));
        s.path().ifPresent(p -> out.put("path", p));
        out.set("active", revision(s.active()));
        s.lastTried().ifPresent(t -> {
            ObjectNode tried = revision(t);
            ArrayNode errors = tried.putArray("errors");
            s.lastErrors().forEach(errors::add);
            out.set("last_tried", tried);
        });
        if (s.lastTried().isEmpty() && !s.lastErrors().isEmpty()) {
            ArrayNode errors = out.putArray("errors");
            s.lastErrors().forEach(errors::add);
        }
        out.put("degraded", s.degraded().isPresent());
        s.degraded().ifPresent(d -> out.put("degraded_reason", d));
        s.lastFetch().ifPresent(t -> out.put("last_fetch", t.toString()));
        ObjectNode reloads = out.putObject("reloads");
        s.reloads().forEach((k, v) -> reloads.put(k.id(), v));
        return out;
    }

    private static ObjectNode revision(PolicyStatus.Revision r) {
        ObjectNode out = JSON.createObjectNode();
        out.put("commit", r.version());
        r.author().ifPresent(a -> out.put("author", a));
        r.time().ifPresent(t -> out.put("time", t.toString()));
        r.message().ifPresent(m -> out.put("message", m));
        return out;
    }

    static ObjectNode error(String type, String message) {
        ObjectNode out = JSON.createObjectNode();
        out.putObject("error").put("type", type).put("message", message);
        return out;
    }

    static void send(ServerResponse res, Status status, ObjectNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
