package dev.tollgate.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Admin;
import dev.tollgate.server.audit.AuditEvent;
import dev.tollgate.server.audit.AuditLog;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.gitops.PolicyStatus;
import dev.tollgate.server.gitops.PolicyWatcher;
import dev.tollgate.server.settings.ServerSettings;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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

    private static final ObjectMapper JSON = dev.tollgate.providers.json.JsonBody.MAPPER; // plain decimals
    private static final HeaderName GITHUB_SIGNATURE = HeaderNames.create("X-Hub-Signature-256");
    private static final HeaderName GITLAB_TOKEN = HeaderNames.create("X-Gitlab-Token");
    /** An admin refresh needs no body; a small one (a client that always sends {}) is read and ignored. */
    static final long ADMIN_BODY_LIMIT = 64 * 1024;

    private final PolicyHolder policy;
    private final PolicyWatcher watcher;
    private final Optional<String> webhookSecret;

    private final AuditLog audit;
    private final long webhookBodyLimit;

    public AdminRoutes(PolicyHolder policy, PolicyWatcher watcher, Optional<String> webhookSecret) {
        this(policy, watcher, webhookSecret, null);
    }

    /** @param audit where admin actions are recorded; null records none */
    public AdminRoutes(PolicyHolder policy, PolicyWatcher watcher, Optional<String> webhookSecret, AuditLog audit) {
        this(policy, watcher, webhookSecret, audit, ServerSettings.DEFAULT_WEBHOOK_BODY_LIMIT);
    }

    /** @param webhookBodyLimit bytes a webhook's body may have */
    public AdminRoutes(PolicyHolder policy, PolicyWatcher watcher, Optional<String> webhookSecret, AuditLog audit, long webhookBodyLimit) {
        this.webhookBodyLimit = webhookBodyLimit;
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
        // Who is asking is decided from the headers before a byte of the body is read; the body is then
        // read only up to a small cap, streaming (a webhook's signature is computed as it comes in).
        boolean github = req.headers().contains(GITHUB_SIGNATURE);
        boolean webhook = github || req.headers().contains(GITLAB_TOKEN);
        Optional<Admin> admin = Optional.empty();
        if (webhook) {
            if (webhookSecret.isEmpty() || !github && !validGitlabToken(req)) {
                send(res, Status.UNAUTHORIZED_401, error("unauthorized", webhookSecret.isEmpty()
                        ? "Webhooks are off: set TOLLGATE_WEBHOOK_SECRET on the gateway and the same secret on the webhook."
                        : "The webhook token does not match: the webhook's secret must equal TOLLGATE_WEBHOOK_SECRET."));
                return;
            }
        } else {
            admin = AdminAuth.authorize(policy, req, res, true);
            if (admin.isEmpty()) {
                return;
            }
        }
        long limit = webhook ? webhookBodyLimit : ADMIN_BODY_LIMIT;
        String tooLarge = webhook
                ? "A webhook's body may have at most " + limit + " bytes (tollgate.webhook.body.limit, TOLLGATE_WEBHOOK_BODY_LIMIT); "
                + "the policy is still pulled every poll interval."
                : "POST /admin/policy/refresh takes no body (at most " + limit + " bytes are accepted); send it empty.";
        if (req.headers().contentLength().orElse(-1) > limit) {
            send(res, Status.REQUEST_ENTITY_TOO_LARGE_413, error("request_too_large", tooLarge));
            return;
        }
        Optional<byte[]> digest;
        try {
            digest = readCapped(req, limit, github);
        } catch (IOException | UncheckedIOException e) {
            send(res, Status.BAD_REQUEST_400, error("invalid_request", "The request body could not be read: " + e.getMessage()));
            return;
        }
        if (digest.isEmpty()) {
            send(res, Status.REQUEST_ENTITY_TOO_LARGE_413, error("request_too_large", tooLarge));
            return;
        }
        if (github && !validGithubSignature(req, digest.get())) {
            send(res, Status.UNAUTHORIZED_401, error("unauthorized",
                    "The webhook signature does not match: the webhook's secret must equal TOLLGATE_WEBHOOK_SECRET."));
            return;
        }
        PolicyStatus status = watcher.refresh();
        if (audit != null) {
            String actor = admin.map(a -> "admin:" + a.id()).orElse(github ? "webhook:github" : "webhook:gitlab");
            audit.append(new AuditEvent.AdminAction(actor, admin.map(a -> a.role().name().toLowerCase()).orElse("webhook"),
                    "policy.refresh", status.lastResult().id() + " (" + status.active().version() + ")"));
        }
        ObjectNode out = status(status);
        out.put("result", status.lastResult().id());
        send(res, Status.OK_200, out);
    }

    /**
     * Reads the body (when there is one) in small steps, never holding it: empty when it is longer than
     * {@code limit}; otherwise GitHub's HMAC-SHA256 of it when {@code sign}, else an empty array.
     */
    private Optional<byte[]> readCapped(ServerRequest req, long limit, boolean sign) throws IOException {
        Mac mac = sign ? hmac() : null;
        if (!req.content().hasEntity()) {
            return Optional.of(mac == null ? new byte[0] : mac.doFinal());
        }
        byte[] buffer = new byte[8192];
        long total = 0;
        try (InputStream in = req.content().inputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
                if (total > limit) {
                    return Optional.empty();
                }
                if (mac != null) {
                    mac.update(buffer, 0, n);
                }
            }
        }
        return Optional.of(mac == null ? new byte[0] : mac.doFinal());
    }

    private Mac hmac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(webhookSecret.orElseThrow().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** GitHub signs the body with HMAC-SHA256 (X-Hub-Signature-256). */
    private static boolean validGithubSignature(ServerRequest req, byte[] digest) {
        String expected = "sha256=" + HexFormat.of().formatHex(digest);
        return req.headers().first(GITHUB_SIGNATURE)
                .map(h -> MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), h.trim().getBytes(StandardCharsets.UTF_8)))
                .orElse(false);
    }

    /** GitLab sends the secret itself (X-Gitlab-Token): checked from the header alone. */
    private boolean validGitlabToken(ServerRequest req) {
        byte[] secret = webhookSecret.orElseThrow().getBytes(StandardCharsets.UTF_8);
        return req.headers().first(GITLAB_TOKEN)
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
        res.send(dev.tollgate.providers.json.JsonBody.write(body)); // plain decimals
    }
}
