package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.gitops.DirectoryPolicyWatcher;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.route.TestClock;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.signin.SignInSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Code's gateway login protocol against a real OIDC server (mock-oauth2-server), with the exact
 * requests the pinned Claude Code makes (from its bundle: an empty form POST to the device authorization
 * endpoint, form polls of the token endpoint, Bearer on /v1/messages and /managed/settings); the test
 * plays the browser at the verification page.
 */
class ClaudeGatewayLoginTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLIENT = "tollgate-gateway";
    private static final String GRANT = "urn:ietf:params:oauth:grant-type:device_code";
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final String MESSAGE = "{\"model\":\"cheap\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path tmp;
    private MockOAuth2Server idp;
    private FakeUpstream upstream;
    private TollgateServer gateway;
    private DirectoryPolicyWatcher watcher;
    private Path policyDir;
    private final TestClock clock = new TestClock();

    private String policy(String groups, String claudeSettings) {
        return """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: cheap, targets: [{provider: up, model: cheap-up}]}
                pricing:
                  - {model: cheap, input: 1000, output: 1000}
                customers:
                  - {id: acme}
                teams:
                  - {id: platform, customer: acme}
                sso:
                  groups: {%s}
                  person: {budgets: [{amount_usd: 5, period: daily}], ttl: 12h}
                %s
                """.formatted(upstream.port(), groups, claudeSettings);
    }

    private static final String SETTINGS = "  claude_code_settings: {permissions: {deny: [WebFetch]}, env: {TOLLGATE_MANAGED: \"yes\"}}";

    @BeforeEach
    void start() throws Exception {
        idp = new MockOAuth2Server();
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        upstream = new FakeUpstream();
        // The Anthropic surface on an OpenAI-format provider: the gateway always streams upstream.
        upstream.answer(upstream.sse(List.of(
                "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"cheap-up\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":\"hello\"}}]}\n\n",
                "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"cheap-up\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n",
                "data: [DONE]\n\n"), 0));
        policyDir = Files.createDirectories(tmp.resolve("policy"));
        Files.writeString(policyDir.resolve("policy.yaml"), policy("eng-platform: platform", SETTINGS));
        startGateway(URI.create(idp.issuerUrl("default").toString()));
    }

    private void startGateway(URI issuer) throws Exception {
        startGateway(Optional.of(new SignInSettings(issuer, CLIENT)));
    }

    private void startGateway(Optional<SignInSettings> signIn) throws Exception {
        PolicyHolder holder = new PolicyHolder(PolicyLoader.loadDirectory(policyDir));
        watcher = new DirectoryPolicyWatcher(policyDir, holder, Duration.ofHours(1));
        Path state = tmp.resolve("state");
        gateway = TollgateServer.builder()
                .settings(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)))
                .policy(holder).watcher(watcher).clock(clock).telemetry(Telemetry.create(TelemetrySettings.defaults(), state))
                .signIn(signIn).start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        watcher.close();
        upstream.close();
        idp.shutdown();
    }

    private String base() {
        return "http://127.0.0.1:" + gateway.port() + "/anthropic";
    }

    private void person(String email, List<String> groups) {
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("default", email + "-sub", "JWT", List.of(CLIENT),
                Map.of("email", email, "groups", groups), 3600));
    }

    private static HttpResponse<String> form(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode deviceAuthorization() throws Exception {
        HttpResponse<String> res = form(base() + "/oauth/device_authorization", "");
        assertEquals(200, res.statusCode(), res.body());
        return JSON.readTree(res.body());
    }

    private HttpResponse<String> poll(String deviceCode) throws Exception {
        return form(base() + "/oauth/token", "grant_type=" + GRANT + "&device_code=" + deviceCode);
    }

    private static String error(HttpResponse<String> res) throws Exception {
        return JSON.readTree(res.body()).path("error").asText();
    }

    /** The person's browser: the verification link, the confirm button, the provider, back to the gateway. */
    private HttpResponse<String> approveInBrowser(JsonNode device) throws Exception {
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(device.path("verification_uri_complete").asText())).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), "a pre-filled code is shown, not submitted by the link: " + page.body());
        assertTrue(page.body().contains(device.path("user_code").asText()), page.body());
        HttpResponse<String> next = HTTP.send(HttpRequest.newBuilder(URI.create(device.path("verification_uri").asText()))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.ofString("user_code=" + device.path("user_code").asText())).build(),
                HttpResponse.BodyHandlers.ofString());
        URI at = URI.create(device.path("verification_uri").asText());
        for (int hop = 0; hop < 6 && next.statusCode() / 100 == 3; hop++) {
            at = at.resolve(next.headers().firstValue("location").orElseThrow());
            next = HTTP.send(HttpRequest.newBuilder(at).GET().build(), HttpResponse.BodyHandlers.ofString());
        }
        return next;
    }

    private HttpResponse<String> messages(String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/messages")).header("Authorization", "Bearer " + token)
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(MESSAGE)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> settings(String token, String etag) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + "/managed/settings")).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (etag != null) {
            b.header("If-None-Match", etag);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void discoveryNamesSameOriginEndpointsUnderTheAnthropicBase() throws Exception {
        HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/.well-known/oauth-authorization-server")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        JsonNode doc = JSON.readTree(res.body());
        assertEquals(base() + "/oauth/device_authorization", doc.path("device_authorization_endpoint").asText());
        assertEquals(base() + "/oauth/token", doc.path("token_endpoint").asText());
        assertTrue(doc.path("grant_types_supported").toString().contains(GRANT) && doc.path("grant_types_supported").toString().contains("refresh_token"));
        assertTrue(doc.path("authorization_endpoint").isMissingNode(), "the protocol has no authorization endpoint");
    }

    /** The discovery document as a raw HTTP/1.1 exchange, with whatever Host header a client sends. */
    private String discoveryWithHost(String host) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", gateway.port())) {
            s.getOutputStream().write(("GET /anthropic/.well-known/oauth-authorization-server HTTP/1.1\r\nHost: " + host
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void aHostHeaderThatIsNoHostNameNeverBecomesPartOfAUrl() throws Exception {
        for (String host : List.of("evil.example/phish?x=", "evil.example#", "user@evil.example", "a b", "evil.example:99999")) {
            String answer = discoveryWithHost(host);
            // Refused as malformed HTTP (saying what was wrong), or answered with the listener's own address.
            assertTrue(answer.startsWith("HTTP/1.1 400") || answer.startsWith("HTTP/1.1 200") && !answer.contains("evil.example")
                    && answer.contains("\"http://127.0.0.1:" + gateway.port() + "/anthropic/oauth/token\""), host + ": " + answer);
        }
        // An ordinary host name (as a proxy or the client sends it) is used as it is.
        assertTrue(discoveryWithHost("gateway.example.com:8443").contains("\"http://gateway.example.com:8443/anthropic/oauth/token\""));
    }

    @Test
    void aConfiguredPublicUrlIsWhatEveryUrlNames() throws Exception {
        gateway.close();
        startGateway(Optional.of(new SignInSettings(URI.create(idp.issuerUrl("default").toString()), CLIENT, Optional.empty(), "groups",
                Optional.of(URI.create("https://llm.example.com")))));
        String answer = discoveryWithHost("internal-node-7:8080");
        assertTrue(answer.contains("\"https://llm.example.com/anthropic/oauth/device_authorization\""), answer);
        assertFalse(answer.contains("internal-node-7"), answer);
    }

    @Test
    void theDeviceFlowIssuesAGovernedPersonalKeyAndARefreshTokenOnce() throws Exception {
        person("alice@example.com", List.of("eng-platform"));
        JsonNode device = deviceAuthorization();
        assertEquals(5, device.path("interval").asInt());
        assertEquals(600, device.path("expires_in").asInt());
        String code = device.path("device_code").asText();

        HttpResponse<String> pending = poll(code);
        assertEquals(400, pending.statusCode());
        assertEquals("authorization_pending", error(pending));
        HttpResponse<String> fast = poll(code);
        assertEquals("slow_down", error(fast), "a second poll at the same instant is too fast: " + fast.body());

        HttpResponse<String> done = approveInBrowser(device);
        assertEquals(200, done.statusCode(), done.body());
        assertTrue(done.body().contains("Signed in as alice@example.com"), done.body());

        clock.advance(Duration.ofSeconds(5));
        HttpResponse<String> issued = poll(code);
        assertEquals(200, issued.statusCode(), issued.body());
        JsonNode token = JSON.readTree(issued.body());
        String access = token.path("access_token").asText();
        String refresh = token.path("refresh_token").asText();
        assertTrue(access.startsWith("tgp-"), issued.body());
        assertTrue(refresh.startsWith("tgr-"), issued.body());
        assertEquals("Bearer", token.path("token_type").asText());
        assertEquals(Duration.ofHours(12).minusSeconds(5).toSeconds(), token.path("expires_in").asLong(), "the key was issued at the approval");

        clock.advance(Duration.ofSeconds(5));
        assertEquals("invalid_grant", error(poll(code)), "a device code is redeemed once");

        // The token is a personal key: governed under the mapped team, the person in usage.
        HttpResponse<String> answer = messages(access);
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(1, upstream.received.size(), "the upstream received the message");
        assertFalse(upstream.received.getFirst().headers().getOrDefault("authorization", "").contains(access), "the key never goes upstream");
        JsonNode whoami = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/auth/whoami"))
                .header("Authorization", "Bearer " + access).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("alice@example.com", whoami.path("person").asText());
        assertEquals("platform", whoami.path("team").asText());
        assertEquals(401, messages(refresh).statusCode(), "a refresh token is not an API key");

        String audit = Files.readString(tmp.resolve("state/audit.log"));
        assertTrue(audit.contains("personal_key.issued") && audit.contains("alice@example.com"), audit);
        assertFalse(audit.contains(access) || audit.contains(refresh), "no secret in the audit trail");
    }

    @Test
    void refreshGivesAFreshKeyUntilACommitRemovesThePersonsGroup() throws Exception {
        person("alice@example.com", List.of("eng-platform"));
        JsonNode device = deviceAuthorization();
        assertEquals(200, approveInBrowser(device).statusCode());
        JsonNode token = JSON.readTree(poll(device.path("device_code").asText()).body());
        String refresh = token.path("refresh_token").asText();

        HttpResponse<String> refreshed = form(base() + "/oauth/token", "grant_type=refresh_token&refresh_token=" + refresh);
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        String fresh = JSON.readTree(refreshed.body()).path("access_token").asText();
        assertTrue(fresh.startsWith("tgp-"));
        assertNotEquals(token.path("access_token").asText(), fresh);
        HttpResponse<String> withFresh = messages(fresh);
        assertEquals(200, withFresh.statusCode(), withFresh.body());

        HttpResponse<String> notARefresh = form(base() + "/oauth/token", "grant_type=refresh_token&refresh_token=" + fresh);
        assertEquals(401, notARefresh.statusCode());
        assertEquals("invalid_grant", error(notARefresh));

        // The deprovisioning hook: the mapping goes in a commit, the refresh is refused (and the keys stop working).
        Files.writeString(policyDir.resolve("policy.yaml"), policy("eng-other: platform", SETTINGS));
        watcher.refresh();
        HttpResponse<String> revoked = form(base() + "/oauth/token", "grant_type=refresh_token&refresh_token=" + refresh);
        assertEquals(401, revoked.statusCode(), revoked.body());
        assertEquals("invalid_grant", error(revoked));
        assertTrue(JSON.readTree(revoked.body()).path("error_description").asText().contains("eng-platform"), revoked.body());
        assertEquals(401, messages(fresh).statusCode());
    }

    @Test
    void managedSettingsComeFromThePolicyWithAnEtagAndNeedTheKey() throws Exception {
        person("alice@example.com", List.of("eng-platform"));
        JsonNode device = deviceAuthorization();
        approveInBrowser(device);
        String access = JSON.readTree(poll(device.path("device_code").asText()).body()).path("access_token").asText();

        HttpResponse<String> res = settings(access, null);
        assertEquals(200, res.statusCode(), res.body());
        JsonNode body = JSON.readTree(res.body());
        assertEquals("[\"WebFetch\"]", body.path("settings").path("permissions").path("deny").toString());
        assertEquals("yes", body.path("settings").path("env").path("TOLLGATE_MANAGED").asText());
        assertFalse(body.path("uuid").asText().isEmpty());
        String etag = res.headers().firstValue("etag").orElseThrow();
        assertEquals("\"" + body.path("checksum").asText() + "\"", etag, "Claude Code sends the checksum back as If-None-Match");
        assertEquals(304, settings(access, etag).statusCode());

        HttpResponse<String> none = settings(null, null);
        assertEquals(401, none.statusCode());
        assertEquals("authentication_error", JSON.readTree(none.body()).path("error").path("type").asText(), none.body());

        Files.writeString(policyDir.resolve("policy.yaml"), policy("eng-platform: platform", ""));
        watcher.refresh();
        assertEquals(404, settings(access, etag).statusCode(), "no managed policy is a 404, not an empty one");
    }

    @Test
    void anExpiredOrDeniedOrForeignDeviceCodeIsRefusedAndNothingIsIssued() throws Exception {
        // Expired: the code's 10 minutes pass before the browser finished.
        JsonNode late = deviceAuthorization();
        clock.advance(Duration.ofMinutes(11));
        assertEquals("expired_token", error(poll(late.path("device_code").asText())));

        // Denied: the person is in no mapped group; the page says why and the poll stops with access_denied.
        person("mallory@example.com", List.of("sales"));
        JsonNode denied = deviceAuthorization();
        HttpResponse<String> page = approveInBrowser(denied);
        assertEquals(403, page.statusCode(), page.body());
        HttpResponse<String> deniedPoll = poll(denied.path("device_code").asText());
        assertEquals("access_denied", error(deniedPoll), deniedPoll.body());
        assertTrue(JSON.readTree(deniedPoll.body()).path("error_description").asText().contains("in no group the policy maps"));

        // Wrong client: a code asked for with one client_id is not redeemed with another, nor a `tollgate login --device` code here.
        HttpResponse<String> bound = form(base() + "/oauth/device_authorization", "client_id=claude-code");
        String boundCode = JSON.readTree(bound.body()).path("device_code").asText();
        HttpResponse<String> other = form(base() + "/oauth/token", "grant_type=" + GRANT + "&device_code=" + boundCode + "&client_id=someone-else");
        assertEquals("invalid_grant", error(other), other.body());
        String tollgateCode = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/auth/device/start"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()).body()).path("device_code").asText();
        assertEquals("invalid_grant", error(poll(tollgateCode)));
        String claudeCode = deviceAuthorization().path("device_code").asText();
        HttpResponse<String> atTollgate = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/auth/device/token"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"device_code\":\"" + claudeCode + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("invalid_grant", JSON.readTree(atTollgate.body()).path("error").path("code").asText(), atTollgate.body());

        // Malformed requests: JSON instead of a form, an unknown grant, a parameter twice.
        HttpResponse<String> json = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/oauth/token")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"grant_type\":\"x\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("invalid_request", error(json));
        assertEquals("unsupported_grant_type", error(form(base() + "/oauth/token", "grant_type=password")));
        assertEquals("invalid_request", error(form(base() + "/oauth/token", "grant_type=" + GRANT + "&device_code=a&device_code=b")));

        // A form posted from another site is refused (the person's session at the provider must not approve a stranger's code).
        HttpResponse<String> crossSite = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/auth/device"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Sec-Fetch-Site", "cross-site")
                .POST(HttpRequest.BodyPublishers.ofString("user_code=" + JSON.readTree(bound.body()).path("user_code").asText())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, crossSite.statusCode());
        assertFalse(Files.exists(tmp.resolve("state/audit.log")) && Files.readString(tmp.resolve("state/audit.log")).contains("personal_key.issued"),
                "nothing was issued");
    }

    @Test
    void whenTheProviderIsDownThePageSaysSoAndThePollStaysPending() throws Exception {
        gateway.close();
        watcher.close();
        int dead;
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            dead = s.getLocalPort();
        }
        startGateway(URI.create("http://127.0.0.1:" + dead + "/default"));
        JsonNode device = deviceAuthorization();
        HttpResponse<String> page = approveInBrowser(device);
        assertEquals(503, page.statusCode(), page.body());
        assertTrue(page.body().contains("identity provider"), page.body());
        assertEquals("authorization_pending", error(poll(device.path("device_code").asText())));
    }

    @Test
    void withSignInOffTheProtocolIsAbsentAndSaysWhatTheOperatorSets() throws Exception {
        gateway.close();
        watcher.close();
        startGateway(Optional.empty());
        HttpResponse<String> doc = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/.well-known/oauth-authorization-server")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, doc.statusCode());
        HttpResponse<String> start = form(base() + "/oauth/device_authorization", "");
        assertEquals(404, start.statusCode());
        assertEquals("sign_in_off", error(start));
        assertTrue(JSON.readTree(start.body()).path("error_description").asText().contains("TOLLGATE_SSO_ISSUER"), start.body());
    }
}
