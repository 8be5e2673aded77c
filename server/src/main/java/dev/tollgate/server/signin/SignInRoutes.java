package dev.tollgate.server.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Admin;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.policy.Sso;
import dev.tollgate.server.audit.AuditEvent;
import dev.tollgate.server.audit.AuditLog;
import dev.tollgate.server.gitops.PolicyHolder;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Developer sign-in. {@code POST /auth/login/start {redirect_uri}} returns the provider's authorization
 * URL (code flow with PKCE; the verifier stays here); the browser comes back to the CLI's loopback
 * listener, which hands the code to {@code POST /auth/login/finish {state, code}}: the gateway exchanges
 * it, verifies the ID token and issues a personal key. {@code GET /auth/whoami} says who a key is.
 */
public final class SignInRoutes {

    private static final Logger LOG = Logger.getLogger(SignInRoutes.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BODY_LIMIT = 16 * 1024;

    private final PolicyHolder policy;
    private final Optional<IdentityProvider> idp;
    private final PersonalKeys keys;
    private final AuditLog audit;
    private final Clock clock;
    private final PendingLogins pending;
    private final DeviceLogins devices;
    private final ClaudeGateway claude;

    /** @param idp empty when sign-in is off (no tollgate.sso.issuer) */
    public SignInRoutes(PolicyHolder policy, Optional<IdentityProvider> idp, PersonalKeys keys, AuditLog audit, Clock clock) {
        this.policy = policy;
        this.idp = idp;
        this.keys = keys;
        this.audit = audit;
        this.clock = clock;
        this.pending = new PendingLogins(clock);
        this.devices = new DeviceLogins(clock);
        this.claude = new ClaudeGateway(this, policy, keys, devices, clock);
    }

    public void register(HttpRouting.Builder routing) {
        routing.post("/auth/login/start", (req, res) -> handle(res, () -> start(req)));
        routing.post("/auth/login/finish", (req, res) -> handle(res, () -> finish(req)));
        routing.get("/auth/whoami", (req, res) -> handle(res, () -> whoami(req)));
        routing.post("/auth/device/start", (req, res) -> handle(res, () -> deviceStart(req)));
        routing.post("/auth/device/token", this::deviceToken);
        routing.get("/auth/device", this::devicePage);
        routing.post("/auth/device", this::deviceConfirm);
        routing.get("/auth/device/callback", this::deviceCallback);
        claude.register(routing);
    }

    private interface Step {
        ObjectNode run() throws IOException;
    }

    private void handle(ServerResponse res, Step step) {
        try {
            send(res, 200, step.run());
        } catch (SignInRefused e) {
            send(res, e.status(), error(e.code(), e.getMessage()));
        } catch (IOException e) {
            send(res, 400, error("invalid_request", "The request body must be JSON: " + e.getClass().getSimpleName()));
        }
    }

    IdentityProvider idp() {
        return idp.orElseThrow(() -> new SignInRefused(404, "sign_in_off", "Sign-in is not configured on this gateway: the operator "
                + "sets tollgate.sso.issuer and tollgate.sso.client.id (TOLLGATE_SSO_ISSUER, TOLLGATE_SSO_CLIENT_ID)."));
    }

    Sso sso(PolicySnapshot snapshot) {
        Sso sso = snapshot.policy().sso();
        if (!sso.declared()) {
            throw new SignInRefused(403, "sign_in_off", "The policy in force (" + snapshot.version() + ") maps no identity provider "
                    + "groups ('sso: {groups: {GROUP: TEAM}}'); nobody may sign in until it does.");
        }
        return sso;
    }

    private ObjectNode start(ServerRequest req) throws IOException {
        IdentityProvider provider = idp();
        sso(policy.forRequest());
        JsonNode body = body(req);
        URI redirect = loopback(body.path("redirect_uri").asText(null));
        String state = random(24);
        String verifier = random(48);
        String nonce = random(24);
        if (!pending.add(state, verifier, nonce, redirect)) {
            throw new SignInRefused(429, "too_many_sign_ins", "Too many sign-ins are under way; try again in a few minutes.");
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("authorization_url", provider.authorizationUrl(redirect, state, nonce, challenge(verifier)).toString());
        out.put("state", state);
        out.put("expires_in", PendingLogins.LIFETIME.toSeconds());
        return out;
    }

    private ObjectNode finish(ServerRequest req) throws IOException {
        IdentityProvider provider = idp();
        JsonNode body = body(req);
        String state = body.path("state").asText("");
        String code = body.path("code").asText("");
        if (state.isEmpty() || code.isEmpty()) {
            throw new SignInRefused(400, "invalid_request", "Send {\"state\": ..., \"code\": ...} as the identity provider returned them.");
        }
        PendingLogins.Pending p = pending.take(state).orElseThrow(() -> new SignInRefused(400, "unknown_state", "This sign-in is "
                + "unknown, finished already or older than " + PendingLogins.LIFETIME.toMinutes() + " minutes. Run `tollgate login` again."));
        if (p.device() != null) {
            throw new SignInRefused(400, "unknown_state", "This sign-in belongs to a device code; it finishes at the gateway.");
        }
        return issue(provider.exchange(code, p.redirect(), p.verifier(), p.nonce()));
    }

    /** Maps the verified person through the policy in force and issues their personal key; what the CLI stores. */
    ObjectNode issue(IdentityProvider.Verified person) {
        // Decided on the policy in force now, after the provider answered.
        PolicySnapshot snapshot = policy.forRequest();
        Sso sso = sso(snapshot);
        if (!sso.domainAllowed(person.email())) {
            throw new SignInRefused(403, "domain_not_allowed", person.email() + " may not sign in: the policy allows only "
                    + sso.allowedDomains() + " (sso.allowed_domains).");
        }
        Optional<String> team = sso.teamOf(person.groups());
        Optional<Admin.Role> role = sso.roleOf(person.groups());
        if (team.isEmpty() && role.isEmpty()) {
            throw new SignInRefused(403, "no_team", person.email() + " is in no group the policy maps (your groups: " + person.groups()
                    + "). Ask the platform team to add your group under sso.groups.");
        }
        String secret = PersonalKey.PREFIX + random(32);
        Instant now = clock.instant();
        PersonalKey key = new PersonalKey(Secrets.sha256(secret), person.subject(), person.email(), person.groups(), now,
                now.plus(sso.ttl()));
        keys.put(key);
        if (audit != null) {
            audit.append(new AuditEvent.PersonalKeyIssued(person.email(), person.subject(), team.orElse(null),
                    role.map(r -> r.name().toLowerCase()).orElse(null), key.expires().toString(), key.sha256().substring(0, 8)));
        }
        LOG.info(() -> "personal key issued to " + person.email() + " (team " + team.orElse("-") + ") until " + key.expires());
        ObjectNode out = JSON.createObjectNode();
        out.put("key", secret);
        out.put("expires_at", key.expires().toString());
        out.put("person", person.email());
        team.ifPresent(t -> out.put("team", t));
        role.ifPresent(r -> out.put("role", r.name().toLowerCase()));
        return out;
    }

    private ObjectNode deviceStart(ServerRequest req) {
        idp();
        sso(policy.forRequest());
        DeviceLogins.Device d = devices.start().orElseThrow(() ->
                new SignInRefused(429, "too_many_sign_ins", "Too many sign-ins are under way; try again in a few minutes."));
        String page = publicBase(req) + "/auth/device";
        ObjectNode out = JSON.createObjectNode();
        out.put("device_code", d.deviceCode());
        out.put("user_code", d.userCode());
        out.put("verification_uri", page);
        out.put("verification_uri_complete", page + "?user_code=" + d.userCode());
        out.put("expires_in", DeviceLogins.LIFETIME.toSeconds());
        out.put("interval", 2);
        return out;
    }

    /** RFC 8628's answers while the person signs in: authorization_pending, then the key once, then nothing. */
    private void deviceToken(ServerRequest req, ServerResponse res) {
        handle(res, () -> {
            String code = body(req).path("device_code").asText("");
            if (devices.peek(code).filter(x -> x.flow() != DeviceLogins.Flow.TOLLGATE).isPresent()) {
                throw new SignInRefused(400, "invalid_grant", "This device code was issued to Claude Code's gateway login; "
                        + "only Claude Code redeems it (at the token endpoint its discovery names).");
            }
            DeviceLogins.Device d = devices.poll(code).orElseThrow(() -> new SignInRefused(400, "invalid_grant",
                    "This device code is unknown, expired or was used already. Run `tollgate login --device` again."));
            if (clock.instant().isAfter(d.expires())) {
                throw new SignInRefused(400, "expired_token", "This device code expired; run `tollgate login --device` again.");
            }
            return switch (d.state()) {
                case DeviceLogins.Pending p -> throw new SignInRefused(400, "authorization_pending",
                        "Waiting for the person to enter " + d.userCode() + " at the gateway's /auth/device page.");
                case DeviceLogins.Failed f -> throw f.reason();
                case DeviceLogins.Issued i -> i.answer();
            };
        });
    }

    /**
     * The page the person opens elsewhere: enter the code, then on to the identity provider. A code that
     * came pre-filled in a link for Claude Code is only shown, never submitted by the link itself (RFC 8628
     * 5.4: a link someone sent must not sign the reader in for the sender's device).
     */
    private void devicePage(ServerRequest req, ServerResponse res) {
        Optional<String> userCode = req.query().first("user_code").filter(c -> !c.isBlank());
        if (userCode.isEmpty()) {
            html(res, 200, "Sign in to Tollgate", "<form method=\"post\">Code shown in your terminal: "
                    + "<input name=\"user_code\" autocomplete=\"off\" size=\"10\"> <button>Continue</button></form>");
            return;
        }
        Optional<DeviceLogins.Device> device = devices.byUserCode(userCode.get());
        if (device.isPresent() && device.get().flow() == DeviceLogins.Flow.CLAUDE_CODE) {
            html(res, 200, "Sign in to Tollgate", "Claude Code asks to sign in with the code <b>" + escape(device.get().userCode())
                    + "</b>. Continue only if it is the code your own terminal shows. <form method=\"post\">"
                    + "<input type=\"hidden\" name=\"user_code\" value=\"" + escape(device.get().userCode()) + "\">"
                    + "<button>Continue</button></form>");
            return;
        }
        toProvider(req, res, userCode.get());
    }

    /** The code entered (or confirmed) on the page; only from the page itself, not from a form on another site. */
    private void deviceConfirm(ServerRequest req, ServerResponse res) {
        String site = req.headers().first(HeaderNames.create("Sec-Fetch-Site")).orElse(null);
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        boolean sameSite = site != null ? site.equals("same-origin") || site.equals("none") : origin == null || origin.equals(publicBase(req));
        if (!sameSite) {
            html(res, 403, "Sign-in failed", "This request came from another site and was refused. Open the gateway's /auth/device page directly.");
            return;
        }
        String userCode;
        try (InputStream in = req.content().inputStream()) {
            userCode = ClaudeGateway.form(in.readNBytes(BODY_LIMIT)).getOrDefault("user_code", "");
        } catch (IOException e) {
            userCode = "";
        }
        toProvider(req, res, userCode);
    }

    private void toProvider(ServerRequest req, ServerResponse res, String userCode) {
        try {
            IdentityProvider provider = idp();
            DeviceLogins.Device d = devices.byUserCode(userCode).orElseThrow(() -> new SignInRefused(400, "invalid_grant",
                    "This code is unknown, expired or used already. Start the sign-in again in your terminal for a new one."));
            URI callback = URI.create(publicBase(req) + "/auth/device/callback");
            String state = random(24);
            String verifier = random(48);
            String nonce = random(24);
            if (!pending.add(state, verifier, nonce, callback, d.deviceCode())) {
                throw new SignInRefused(429, "too_many_sign_ins", "Too many sign-ins are under way; try again in a few minutes.");
            }
            res.status(Status.FOUND_302);
            res.header(HeaderNames.LOCATION, provider.authorizationUrl(callback, state, nonce, challenge(verifier)).toString());
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            res.send();
        } catch (SignInRefused e) {
            html(res, e.status(), "Sign-in failed", escape(e.getMessage()));
        }
    }

    private void deviceCallback(ServerRequest req, ServerResponse res) {
        String state = req.query().first("state").orElse("");
        PendingLogins.Pending p = pending.take(state).filter(x -> x.device() != null).orElse(null);
        if (p == null) {
            html(res, 400, "Sign-in failed", "This sign-in is unknown, finished already or too old. Run `tollgate login --device` again.");
            return;
        }
        try {
            Optional<String> error = req.query().first("error").asOptional();
            if (error.isPresent()) {
                throw new SignInRefused(403, "idp_refused", "The identity provider refused the sign-in: " + error.get());
            }
            IdentityProvider.Verified person = idp().exchange(req.query().first("code").orElse(""), p.redirect(), p.verifier(), p.nonce());
            ObjectNode answer = issue(person);
            devices.settle(p.device(), new DeviceLogins.Issued(answer, person));
            html(res, 200, "Signed in", "Signed in as " + escape(answer.path("person").asText()) + ". Return to your terminal.");
        } catch (SignInRefused e) {
            devices.settle(p.device(), new DeviceLogins.Failed(e));
            html(res, e.status(), "Sign-in failed", escape(e.getMessage()));
        }
    }

    /** How the person's browser reaches this gateway: the scheme it was reached with and its Host. */
    /** A Host header that is a host name or address and an optional port, nothing else. */
    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]{2,45}\\])"
                    + "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?");

    /**
     * The gateway's address for the URLs sign-in hands out: the configured public URL, else the request's
     * Host when it is a host name or address (anything else, which could smuggle a path or another host
     * into a URL, is ignored for the listener's own address).
     */
    String publicBase(ServerRequest req) {
        Optional<java.net.URI> configured = idp.flatMap(p -> p.settings().publicUrl());
        if (configured.isPresent()) {
            return configured.get().toString();
        }
        String host = req.headers().first(HeaderNames.HOST).filter(h -> HOST.matcher(h).matches())
                .orElse(req.localPeer().host() + ":" + req.localPeer().port());
        return (req.isSecure() ? "https" : "http") + "://" + host;
    }

    private static void html(ServerResponse res, int status, String title, String bodyHtml) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(HeaderNames.create("Content-Security-Policy"), "default-src 'none'; form-action 'self'");
        res.send(("<!doctype html><html><head><title>" + title + "</title></head><body><h1>" + title + "</h1><p>" + bodyHtml
                + "</p></body></html>").getBytes(StandardCharsets.UTF_8));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private ObjectNode whoami(ServerRequest req) {
        String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        String secret = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
        PersonalKey key = secret.startsWith(PersonalKey.PREFIX) ? keys.byHash(Secrets.sha256(secret)).orElse(null) : null;
        if (key == null) {
            throw new SignInRefused(401, "unauthorized", "Send a personal key (from `tollgate login`) as 'Authorization: Bearer <key>'.");
        }
        PolicySnapshot snapshot = policy.forRequest();
        ObjectNode out = JSON.createObjectNode();
        out.put("person", key.email());
        out.put("expires_at", key.expires().toString());
        switch (People.resolve(snapshot, key, clock.instant())) {
            case People.Person p -> out.put("team", p.chain().team().id()).put("key_id", p.chain().key().id());
            case People.Refused r -> out.put("refused", r.message());
        }
        People.admin(snapshot, key, clock.instant()).ifPresent(a -> out.put("role", a.role().name().toLowerCase()));
        return out;
    }

    /** Only a loopback redirect: the code must come back to the person's own machine, not to a host someone names. */
    private static URI loopback(String text) {
        try {
            URI uri = URI.create(text);
            if ("http".equals(uri.getScheme()) && uri.getUserInfo() == null && uri.getPort() > 0
                    && java.util.Set.of("127.0.0.1", "localhost", "[::1]").contains(uri.getHost())) {
                return uri;
            }
        } catch (RuntimeException e) {
            // refused below
        }
        throw new SignInRefused(400, "invalid_redirect", "'redirect_uri' must be a loopback URL such as http://127.0.0.1:PORT/callback "
                + "(the CLI's own listener); found " + (text == null ? "none" : "'" + text + "'") + ".");
    }

    private static JsonNode body(ServerRequest req) throws IOException {
        if (req.headers().contentLength().orElse(0) > BODY_LIMIT) {
            throw new SignInRefused(413, "request_too_large", "A sign-in request has at most " + BODY_LIMIT + " bytes.");
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes(BODY_LIMIT + 1);
            if (bytes.length > BODY_LIMIT) {
                throw new SignInRefused(413, "request_too_large", "A sign-in request has at most " + BODY_LIMIT + " bytes.");
            }
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new SignInRefused(400, "invalid_request", "The request body must be a JSON object.");
            }
            return node;
        }
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String challenge(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode out = JSON.createObjectNode();
        out.putObject("error").put("message", message).put("type", "invalid_request_error").put("code", code);
        return out;
    }

    private static void send(ServerResponse res, int status, ObjectNode body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
