package dev.tollgate.server.signin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.PolicyHolder;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Claude Code's gateway login ("Claude apps gateway" protocol, version 1), served under the Anthropic
 * base URL Claude Code is given ({@code https://GATEWAY/anthropic}): RFC 8414 discovery, an RFC 8628
 * device flow whose verification page is the gateway's {@code /auth/device} (the person signs in at the
 * company's provider, the gateway being its client), a token endpoint that hands out a personal key
 * ({@code tgp-}, governed like any other) and a refresh token ({@code tgr-}), the person's managed
 * settings from the policy, and a sink for the telemetry the client sends its gateway.
 */
final class ClaudeGateway {

    private static final Logger LOG = Logger.getLogger(ClaudeGateway.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BASE = "/anthropic";
    static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
    /** How often the client may poll; a faster poll is answered slow_down (RFC 8628 3.5). */
    static final Duration INTERVAL = Duration.ofSeconds(5);
    /** A refresh token's life from the sign-in at the provider; after it the person signs in again. */
    static final Duration REFRESH_LIFETIME = Duration.ofDays(7);
    static final String REFRESH_PREFIX = "tgr-";
    private static final int BODY_LIMIT = 16 * 1024;

    private final SignInRoutes signIn;
    private final PolicyHolder policy;
    private final PersonalKeys keys;
    private final DeviceLogins devices;
    private final Clock clock;

    ClaudeGateway(SignInRoutes signIn, PolicyHolder policy, PersonalKeys keys, DeviceLogins devices, Clock clock) {
        this.signIn = signIn;
        this.policy = policy;
        this.keys = keys;
        this.devices = devices;
        this.clock = clock;
    }

    void register(HttpRouting.Builder routing) {
        routing.get(BASE + "/.well-known/oauth-authorization-server", this::discovery);
        routing.post(BASE + "/oauth/device_authorization", this::deviceAuthorization);
        routing.post(BASE + "/oauth/token", this::token);
        routing.get(BASE + "/managed/settings", this::managedSettings);
        // The client sends its OTLP telemetry to its gateway and logs an error on every flush that gets a 404.
        for (String signal : List.of("metrics", "logs", "traces")) {
            routing.post(BASE + "/v1/" + signal, (req, res) -> res.status(Status.OK_200).send());
        }
    }

    private String base(ServerRequest req) {
        return signIn.publicBase(req) + BASE;
    }

    private void discovery(ServerRequest req, ServerResponse res) {
        if (refusedOff(res)) {
            return;
        }
        String base = base(req);
        ObjectNode out = JSON.createObjectNode();
        out.put("issuer", base);
        out.put("device_authorization_endpoint", base + "/oauth/device_authorization");
        out.put("token_endpoint", base + "/oauth/token");
        out.putArray("grant_types_supported").add(DEVICE_GRANT).add("refresh_token");
        out.putArray("response_types_supported");
        out.putArray("token_endpoint_auth_methods_supported").add("none");
        out.put("gateway_protocol_version", 1);
        send(res, 200, out);
    }

    /** Sign-in off on this gateway: the discovery document is absent, as the protocol's endpoints are. */
    private boolean refusedOff(ServerResponse res) {
        try {
            signIn.idp();
            return false;
        } catch (SignInRefused e) {
            oauthError(res, e);
            return true;
        }
    }

    private void deviceAuthorization(ServerRequest req, ServerResponse res) {
        try {
            signIn.idp();
            signIn.sso(policy.forRequest());
            Map<String, String> form = form(req);
            DeviceLogins.Device d = devices.start(DeviceLogins.Flow.CLAUDE_CODE, form.get("client_id")).orElseThrow(() ->
                    new SignInRefused(429, "slow_down", "Too many sign-ins are under way; try again in a few minutes."));
            String page = signIn.publicBase(req) + "/auth/device";
            ObjectNode out = JSON.createObjectNode();
            out.put("device_code", d.deviceCode());
            out.put("user_code", d.userCode());
            out.put("verification_uri", page);
            out.put("verification_uri_complete", page + "?user_code=" + d.userCode());
            out.put("expires_in", DeviceLogins.LIFETIME.toSeconds());
            out.put("interval", INTERVAL.toSeconds());
            send(res, 200, out);
        } catch (SignInRefused e) {
            oauthError(res, e);
        }
    }

    private void token(ServerRequest req, ServerResponse res) {
        try {
            Map<String, String> form = form(req);
            String grant = form.getOrDefault("grant_type", "");
            send(res, 200, switch (grant) {
                case DEVICE_GRANT -> deviceGrant(form);
                case "refresh_token" -> refreshGrant(form);
                default -> throw new SignInRefused(400, "unsupported_grant_type", "grant_type must be " + DEVICE_GRANT
                        + " or refresh_token; found " + (grant.isEmpty() ? "none" : "'" + grant + "'") + ".");
            });
        } catch (SignInRefused e) {
            oauthError(res, e);
        }
    }

    private ObjectNode deviceGrant(Map<String, String> form) {
        String code = form.getOrDefault("device_code", "");
        if (code.isEmpty()) {
            throw new SignInRefused(400, "invalid_request", "Send device_code as the device authorization returned it.");
        }
        DeviceLogins.Device seen = devices.peek(code).orElseThrow(() -> new SignInRefused(400, "invalid_grant",
                "This device code is unknown, expired or was used already. Run /login in Claude Code again."));
        // RFC 8628 3.5: a code is redeemed only by the client it was issued to.
        if (seen.flow() != DeviceLogins.Flow.CLAUDE_CODE || !Objects.equals(seen.clientId(), form.get("client_id"))) {
            throw new SignInRefused(400, "invalid_grant", "This device code was issued to another client; "
                    + "redeem it where it was asked for (the same client_id, the same sign-in).");
        }
        DeviceLogins.Device d = devices.poll(code).orElseThrow(() -> new SignInRefused(400, "invalid_grant",
                "This device code is unknown, expired or was used already. Run /login in Claude Code again."));
        Instant now = clock.instant();
        if (now.isAfter(d.expires())) {
            throw new SignInRefused(400, "expired_token", "This device code expired before the sign-in in the browser finished; "
                    + "run /login in Claude Code again.");
        }
        // A second's grace: the client waits the interval after its last answer, so honest polls arrive later than that.
        if (d.state() instanceof DeviceLogins.Pending && d.lastPoll() != null
                && now.isBefore(d.lastPoll().plus(INTERVAL).minusSeconds(1))) {
            throw new SignInRefused(400, "slow_down", "Polled faster than every " + INTERVAL.toSeconds() + " s; wait longer between polls.");
        }
        return switch (d.state()) {
            case DeviceLogins.Pending p -> throw new SignInRefused(400, "authorization_pending",
                    "Waiting for the person to confirm " + d.userCode() + " at the gateway's /auth/device page.");
            case DeviceLogins.Failed f -> throw new SignInRefused(400, "access_denied", f.reason().getMessage());
            case DeviceLogins.Issued i -> tokenAnswer(i.answer(), i.person(), mintRefresh(i.person(), now));
        };
    }

    /** The refresh token: stored like a key (its hash, the person, an expiry), but no gate takes it, only this endpoint. */
    private String mintRefresh(IdentityProvider.Verified person, Instant now) {
        String secret = REFRESH_PREFIX + SignInRoutes.random(32);
        keys.put(new PersonalKey(Secrets.sha256(secret), person.subject(), person.email(), person.groups(), now, now.plus(REFRESH_LIFETIME)));
        return secret;
    }

    /**
     * A fresh personal key for the person a refresh token names, decided on the policy in force: a commit
     * that removed their group mapping or domain answers 401 invalid_grant, the protocol's deprovisioning hook.
     */
    private ObjectNode refreshGrant(Map<String, String> form) {
        String secret = form.getOrDefault("refresh_token", "");
        Instant now = clock.instant();
        PersonalKey stored = secret.startsWith(REFRESH_PREFIX) ? keys.byHash(Secrets.sha256(secret)).orElse(null) : null;
        if (stored == null || stored.expiredAt(now)) {
            throw new SignInRefused(401, "invalid_grant", "This refresh token is unknown or expired; run /login in Claude Code to sign in again.");
        }
        PolicySnapshot snapshot = policy.forRequest();
        if (People.resolve(snapshot, stored, now) instanceof People.Refused r) {
            throw new SignInRefused(401, "invalid_grant", r.message());
        }
        IdentityProvider.Verified person = new IdentityProvider.Verified(stored.subject(), stored.email(), stored.groups());
        ObjectNode answer;
        try {
            answer = signIn.issue(person);
        } catch (SignInRefused e) {
            throw new SignInRefused(401, "invalid_grant", e.getMessage());
        }
        return tokenAnswer(answer, person, secret);
    }

    private ObjectNode tokenAnswer(ObjectNode issued, IdentityProvider.Verified person, String refresh) {
        Instant expires = Instant.parse(issued.path("expires_at").asText());
        ObjectNode out = JSON.createObjectNode();
        out.put("access_token", issued.path("key").asText());
        out.put("token_type", "Bearer");
        out.put("expires_in", Math.max(1, Duration.between(clock.instant(), expires).toSeconds()));
        out.put("refresh_token", refresh);
        LOG.fine(() -> "Claude Code gateway token for " + person.email());
        return out;
    }

    /**
     * The person's Claude Code managed settings: {@code sso.claude_code_settings} of the policy in force,
     * in the shape the client reads ({uuid, checksum, settings}), 304 when its If-None-Match still holds,
     * 404 when the policy has none.
     */
    private void managedSettings(ServerRequest req, ServerResponse res) {
        String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        String secret = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
        PersonalKey key = secret.startsWith(PersonalKey.PREFIX) ? keys.byHash(Secrets.sha256(secret)).orElse(null) : null;
        if (key == null) {
            anthropicError(res, 401, "authentication_error", "Send the personal key Claude Code's /login obtained as 'Authorization: Bearer <key>'.");
            return;
        }
        PolicySnapshot snapshot = policy.forRequest();
        if (People.resolve(snapshot, key, clock.instant()) instanceof People.Refused r) {
            anthropicError(res, 401, "authentication_error", r.message());
            return;
        }
        Optional<String> settings = snapshot.policy().sso().claudeCodeSettings();
        if (settings.isEmpty()) {
            anthropicError(res, 404, "not_found_error", "The policy in force (" + snapshot.version()
                    + ") sets no Claude Code managed settings (sso.claude_code_settings).");
            return;
        }
        String checksum = Secrets.sha256(settings.get());
        String etag = "\"" + checksum + "\"";
        res.header(HeaderNames.ETAG, etag);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (req.headers().first(HeaderNames.IF_NONE_MATCH).map(etag::equals).orElse(false)) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        try {
            ObjectNode out = JSON.createObjectNode();
            out.put("uuid", UUID.nameUUIDFromBytes(settings.get().getBytes(StandardCharsets.UTF_8)).toString());
            out.put("checksum", checksum);
            out.set("settings", JSON.readTree(settings.get()));
            send(res, 200, out);
        } catch (IOException e) {
            throw new IllegalStateException("the policy's sso.claude_code_settings is not JSON", e);
        }
    }

    private static Map<String, String> form(ServerRequest req) {
        if (req.headers().contentLength().orElse(0) > BODY_LIMIT) {
            throw new SignInRefused(413, "invalid_request", "An OAuth request has at most " + BODY_LIMIT + " bytes.");
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes(BODY_LIMIT + 1);
            if (bytes.length > BODY_LIMIT) {
                throw new SignInRefused(413, "invalid_request", "An OAuth request has at most " + BODY_LIMIT + " bytes.");
            }
            if (bytes.length > 0 && !req.headers().contentType().map(t -> t.mediaType().subtype().equals("x-www-form-urlencoded")).orElse(false)) {
                throw new SignInRefused(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded (RFC 6749).");
            }
            return form(bytes);
        } catch (IOException e) {
            throw new SignInRefused(400, "invalid_request", "The request body could not be read.");
        }
    }

    /** An application/x-www-form-urlencoded body; a parameter given twice is refused (RFC 6749 3.1). */
    static Map<String, String> form(byte[] bytes) {
        Map<String, String> out = new HashMap<>();
        String text = new String(bytes, StandardCharsets.UTF_8);
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (out.put(name, value) != null) {
                    throw new SignInRefused(400, "invalid_request", "The parameter '" + name + "' is given more than once.");
                }
            } catch (IllegalArgumentException e) {
                throw new SignInRefused(400, "invalid_request", "The form body is not valid application/x-www-form-urlencoded.");
            }
        }
        return out;
    }

    /** OAuth endpoints answer RFC 6749's error shape, which Claude Code reads for authorization_pending and the rest. */
    private static void oauthError(ServerResponse res, SignInRefused e) {
        ObjectNode out = JSON.createObjectNode();
        out.put("error", e.code());
        out.put("error_description", e.getMessage());
        send(res, e.status(), out);
    }

    /** Bearer endpoints answer the Anthropic error envelope, which Claude Code shows. */
    private static void anthropicError(ServerResponse res, int status, String type, String message) {
        ObjectNode out = JSON.createObjectNode();
        out.put("type", "error");
        out.putObject("error").put("type", type).put("message", message);
        send(res, status, out);
    }

    private static void send(ServerResponse res, int status, ObjectNode body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
