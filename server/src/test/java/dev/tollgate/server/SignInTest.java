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
import dev.tollgate.server.signin.AuthCommand;
import dev.tollgate.server.signin.LoginCommand;
import dev.tollgate.server.signin.SignInSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
import picocli.CommandLine;

/**
 * Developer sign-in end to end against a real OIDC server (mock-oauth2-server: discovery, JWKS, code
 * flow with PKCE): `tollgate login` runs its loopback listener, the test plays the browser by following
 * the provider's redirect, the gateway verifies the ID token and issues a personal key that then
 * passes the gate as a governed principal.
 */
class SignInTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLIENT = "tollgate-gateway";
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final String CHAT = "{\"model\":\"cheap\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path tmp;
    private MockOAuth2Server idp;
    private FakeUpstream upstream;
    private TollgateServer gateway;
    private DirectoryPolicyWatcher watcher;
    private Path policyDir;
    private final TestClock clock = new TestClock();

    private String policy(String groups) {
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
                  - {id: web, customer: acme}
                sso:
                  groups: {%s}
                  allowed_domains: [example.com]
                  roles: {gateway-admins: operator}
                  person:
                    budgets: [{amount_usd: 5, period: daily}]
                    ttl: 12h
                """.formatted(upstream.port(), groups);
    }

    @BeforeEach
    void start() throws Exception {
        // The gateway's clock at the real time: `auth print-token` compares the key's expiry with it.
        clock.advance(Duration.between(clock.instant(), java.time.Instant.now()));
        idp = new MockOAuth2Server();
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        upstream = new FakeUpstream();
        upstream.answer(FakeUpstream.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"cheap-up\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}"));
        policyDir = Files.createDirectories(tmp.resolve("policy"));
        Files.writeString(policyDir.resolve("policy.yaml"), policy("eng-platform: platform, eng-web: web"));
        startGateway(URI.create(idp.issuerUrl("default").toString()));
    }

    private void startGateway(URI issuer) throws Exception {
        PolicyHolder holder = new PolicyHolder(PolicyLoader.loadDirectory(policyDir));
        watcher = new DirectoryPolicyWatcher(policyDir, holder, Duration.ofHours(1));
        Path state = tmp.resolve("state");
        gateway = TollgateServer.builder()
                .settings(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)))
                .policy(holder).watcher(watcher).clock(clock).telemetry(Telemetry.create(TelemetrySettings.defaults(), state))
                .signIn(Optional.of(new SignInSettings(issuer, CLIENT))).start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        watcher.close();
        upstream.close();
        idp.shutdown();
    }

    private String base() {
        return "http://127.0.0.1:" + gateway.port();
    }

    /** The last page the browser showed. */
    private static volatile HttpResponse<String> lastPage;

    /** The browser: follows redirects (to the provider, back to the CLI's listener or the gateway) to the last page. */
    private static void browse(URI url) {
        try {
            URI next = url;
            for (int hop = 0; hop < 6; hop++) {
                HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(next).GET().build(), HttpResponse.BodyHandlers.ofString());
                lastPage = page;
                var location = page.headers().firstValue("location");
                if (page.statusCode() / 100 != 3 || location.isEmpty()) {
                    return;
                }
                next = next.resolve(location.get());
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void person(String subject, Map<String, Object> claims, List<String> audience, long expirySeconds) {
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("default", subject, "JWT", audience, claims, expirySeconds));
    }

    private void alice(List<String> groups) {
        person("alice-sub", Map.of("email", "alice@example.com", "groups", groups), List.of(CLIENT), 3600);
    }

    record Run(int exit, String out, String err) {
    }

    private Run login(Path keyFile, String... more) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new LoginCommand(SignInTest::browse));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> args = new java.util.ArrayList<>(List.of("--gateway", base(), "--key-file", keyFile.toString(), "--timeout", "20"));
        args.addAll(List.of(more));
        int exit = cli.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private HttpResponse<String> chat(String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/chat/completions")).header("authorization", "Bearer " + key)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).header("authorization", "Bearer " + key).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void loginIssuesAPersonalKeyStored0600ThatIsGovernedUnderTheMappedTeam() throws Exception {
        alice(List.of("everyone", "eng-web"));
        Path keyFile = tmp.resolve("home/.config/tollgate/key");
        Run run = login(keyFile);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("Signed in as alice@example.com (team web)"), run.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        String key = Files.readString(keyFile).trim();
        assertTrue(key.startsWith("tgp-"), key);

        // The gateway did the code exchange with PKCE: the provider's token endpoint saw the verifier.
        String tokenRequest = tokenRequestBody();
        assertTrue(tokenRequest.contains("code_verifier="), tokenRequest);

        HttpResponse<String> answer = chat(key);
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(1, upstream.received.size());
        assertFalse(upstream.received.getFirst().headers().getOrDefault("authorization", "").contains(key), "the personal key never goes upstream");

        JsonNode usage = JSON.readTree(get("/v1/usage", key).body());
        assertEquals("person:alice@example.com", usage.path("key").asText(), usage.toString());
        assertEquals("web", usage.path("team").asText());
        assertTrue(usage.path("budgets").toString().contains("\"owner\":\"person:alice@example.com\",\"period\":\"daily\",\"limit_usd\":5"),
                "the person's own daily budget applies: " + usage);

        // The audit trail has who, which team and until when; never the key.
        String audit = Files.readString(tmp.resolve("state/audit.log"));
        assertTrue(audit.contains("personal_key.issued") && audit.contains("alice@example.com") && audit.contains("\"team\":\"web\""), audit);
        assertFalse(audit.contains(key), "the secret is never in the audit trail");

        // Codex's command-backed auth: print-token prints exactly the stored key.
        StringWriter out = new StringWriter();
        CommandLine auth = new CommandLine(new AuthCommand());
        auth.setOut(new PrintWriter(out, true));
        assertEquals(0, auth.execute("print-token", "--key-file", keyFile.toString()));
        assertEquals(key, out.toString().trim());
    }

    private String tokenRequestBody() throws InterruptedException {
        for (int i = 0; i < 10; i++) {
            var r = idp.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS);
            if (r == null) {
                break;
            }
            if (r.getPath().contains("/token")) {
                return r.getBody().readUtf8();
            }
        }
        return "";
    }

    @Test
    void theFirstMappedGroupDecidesTheTeamAndRemovingItsMappingInACommitRevokesAtOnce() throws Exception {
        alice(List.of("eng-platform", "eng-web"));
        Path keyFile = tmp.resolve("key");
        assertEquals(0, login(keyFile).exit());
        String key = Files.readString(keyFile).trim();
        assertEquals("platform", JSON.readTree(get("/auth/whoami", key).body()).path("team").asText());
        assertEquals(200, chat(key).statusCode());

        Files.writeString(policyDir.resolve("policy.yaml"), policy("eng-web: web"));
        watcher.refresh();
        // Still in eng-web, which maps to web: the person follows the mapping.
        assertEquals("web", JSON.readTree(get("/auth/whoami", key).body()).path("team").asText());

        Files.writeString(policyDir.resolve("policy.yaml"), policy("other: web"));
        watcher.refresh();
        HttpResponse<String> refused = chat(key);
        assertEquals(401, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("revoked") && refused.body().contains("sso.groups"), refused.body());
        assertEquals(1, upstream.received.size(), "nothing reached the provider after the revocation");
    }

    @Test
    void thePersonalKeyExpiresAfterItsTtl() throws Exception {
        alice(List.of("eng-web"));
        Path keyFile = tmp.resolve("key");
        assertEquals(0, login(keyFile).exit());
        String key = Files.readString(keyFile).trim();
        clock.advance(Duration.ofHours(12).minusSeconds(1));
        assertEquals(200, chat(key).statusCode());
        clock.advance(Duration.ofSeconds(1));
        HttpResponse<String> refused = chat(key);
        assertEquals(401, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("expired") && refused.body().contains("tollgate login"), refused.body());
        assertEquals(1, upstream.received.size());
    }

    @Test
    void anExpiredIdTokenIsRefused() throws Exception {
        person("alice-sub", Map.of("email", "alice@example.com", "groups", List.of("eng-web")), List.of(CLIENT), -3600);
        Run run = login(tmp.resolve("key"));
        assertEquals(1, run.exit());
        assertTrue(run.err().toLowerCase().contains("expired"), run.err());
        assertFalse(Files.exists(tmp.resolve("key")));
        assertFalse(Files.readString(tmp.resolve("state/audit.log")).contains("personal_key.issued"), "nothing issued");
    }

    @Test
    void aGroupClaimOfTheWrongTypeOrAnUnmappedGroupOrDomainIsA4xxWithWhatToDo() throws Exception {
        person("a", Map.of("email", "alice@example.com", "groups", "eng-web"), List.of(CLIENT), 3600);
        Run wrongType = login(tmp.resolve("k1"));
        assertEquals(1, wrongType.exit());
        assertTrue(wrongType.err().contains("must be a list of group names"), wrongType.err());

        person("b", Map.of("email", "bob@example.com", "groups", List.of("sales")), List.of(CLIENT), 3600);
        Run unmapped = login(tmp.resolve("k2"));
        assertTrue(unmapped.err().contains("no group the policy maps") && unmapped.err().contains("sales"), unmapped.err());

        person("c", Map.of("email", "carol@elsewhere.org", "groups", List.of("eng-web")), List.of(CLIENT), 3600);
        Run domain = login(tmp.resolve("k3"));
        assertTrue(domain.err().contains("sso.allowed_domains"), domain.err());
        assertFalse(Files.exists(tmp.resolve("k1")) || Files.exists(tmp.resolve("k2")) || Files.exists(tmp.resolve("k3")));
    }

    @Test
    void aReplayedSignInStateIsRefused() throws Exception {
        HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/login/start"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"redirect_uri\":\"http://127.0.0.1:9/callback\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, start.statusCode(), start.body());
        String state = JSON.readTree(start.body()).path("state").asText();
        String finish = "{\"state\":\"" + state + "\",\"code\":\"made-up\"}";
        HttpResponse<String> first = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/login/finish"))
                .POST(HttpRequest.BodyPublishers.ofString(finish)).build(), HttpResponse.BodyHandlers.ofString());
        // The provider hands a token for any code, but not one carrying this sign-in's nonce.
        assertEquals(401, first.statusCode(), first.body());
        assertTrue(first.body().contains("nonce"), first.body());
        HttpResponse<String> replay = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/login/finish"))
                .POST(HttpRequest.BodyPublishers.ofString(finish)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, replay.statusCode());
        assertTrue(replay.body().contains("unknown, finished already"), replay.body());

        HttpResponse<String> elsewhere = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/login/start"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"redirect_uri\":\"http://attacker.example/callback\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, elsewhere.statusCode());
        assertTrue(elsewhere.body().contains("loopback"), elsewhere.body());
    }

    @Test
    void whenTheProviderIsDownTheLoginSaysSoAndNothingIsIssued() throws Exception {
        gateway.close();
        watcher.close();
        int dead;
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            dead = s.getLocalPort();
        }
        startGateway(URI.create("http://127.0.0.1:" + dead + "/default"));
        Run run = login(tmp.resolve("key"));
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("identity provider") && run.err().contains("does not answer"), run.err());
        assertFalse(Files.exists(tmp.resolve("key")));
    }

    @Test
    void aPersonWhoseGroupHasARoleUsesTheAdminApiWithTheirKey() throws Exception {
        person("ops", Map.of("email", "olga@example.com", "groups", List.of("gateway-admins")), List.of(CLIENT), 3600);
        assertEquals(0, login(tmp.resolve("ops-key")).exit());
        String ops = Files.readString(tmp.resolve("ops-key")).trim();
        alice(List.of("eng-web"));
        assertEquals(0, login(tmp.resolve("dev-key")).exit());
        String dev = Files.readString(tmp.resolve("dev-key")).trim();
        assertEquals(200, get("/admin/policy", ops).statusCode());
        HttpResponse<String> refresh = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/admin/policy/refresh"))
                .header("authorization", "Bearer " + ops).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, refresh.statusCode(), refresh.body());
        assertEquals(401, get("/admin/policy", dev).statusCode());
        assertNotEquals(ops, dev);

        // The person's spend in the operators' usage report and the request log, under their own id.
        assertEquals(200, chat(dev).statusCode());
        HttpResponse<String> usage = get("/admin/usage?by=key&period=daily", ops);
        assertEquals(200, usage.statusCode(), usage.body());
        assertTrue(usage.body().contains("person:alice@example.com"), usage.body());
        String log = "";
        for (int i = 0; i < 100 && !log.contains("person:alice@example.com"); i++) {
            log = get("/admin/requests?key=person:alice@example.com", ops).body(); // the log is written off the request's path
            Thread.sleep(50);
        }
        assertTrue(log.contains("\"team\":\"web\""), log);

        // The dashboard's data says who is signed in.
        JsonNode stats = JSON.readTree(get("/admin/stats", ops).body());
        assertEquals("person:olga@example.com", stats.path("viewer").path("id").asText(), stats.toString());
        assertEquals("operator", stats.path("viewer").path("role").asText());
    }

    @Test
    void aTerminalWithoutABrowserSignsInWithADeviceCodeEnteredAtTheGateway() throws Exception {
        alice(List.of("eng-platform"));
        Path keyFile = tmp.resolve("device-key");
        Run run = login(keyFile, "--device");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("/auth/device and enter the code "), run.out());
        assertTrue(lastPage.body().contains("Signed in as alice@example.com"), lastPage.body());
        String key = Files.readString(keyFile).trim();
        assertEquals("platform", JSON.readTree(get("/auth/whoami", key).body()).path("team").asText());

        // A device code works once; an unknown or used one, or a user code entered again, is refused.
        HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/device/start"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode device = JSON.readTree(start.body());
        String token = "{\"device_code\":\"" + device.path("device_code").asText() + "\"}";
        HttpResponse<String> pendingAnswer = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/device/token"))
                .POST(HttpRequest.BodyPublishers.ofString(token)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, pendingAnswer.statusCode());
        assertEquals("authorization_pending", JSON.readTree(pendingAnswer.body()).path("error").path("code").asText());
        HttpResponse<String> unknown = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/device/token"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"device_code\":\"made-up\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("invalid_grant", JSON.readTree(unknown.body()).path("error").path("code").asText(), unknown.body());
        HttpResponse<String> used = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/device?user_code=ABCD-EFGH")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, used.statusCode());
        assertTrue(used.body().contains("unknown, expired or used already"), used.body());
        // Expired: the gateway's clock passes the code's 10 minutes.
        clock.advance(Duration.ofMinutes(11));
        HttpResponse<String> expired = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/auth/device/token"))
                .POST(HttpRequest.BodyPublishers.ofString(token)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("expired_token", JSON.readTree(expired.body()).path("error").path("code").asText(), expired.body());
    }
}
