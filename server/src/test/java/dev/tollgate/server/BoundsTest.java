package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.DirectoryPolicyWatcher;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Memory and storage stay bounded before anyone is authenticated: keyless API bodies are refused from
 * the headers, admin and webhook bodies are capped as they stream in, and the bodies held at once
 * across requests have a ceiling. Raw sockets, because an HTTP client would hide whether the server
 * answered before the body was sent.
 */
class BoundsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String WEBHOOK_SECRET = "hook-secret";
    private static final int BODY_LIMIT = 512 * 1024;
    /** Room for one body at the limit and a little more: a second large body must wait. */
    private static final long BUFFERED = BODY_LIMIT + 100 * 1024;

    private static FakeUpstream upstream;
    private static TollgateServer gateway;
    private static Path state;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeUpstream();
        state = Files.createTempDirectory("tollgate-bounds-");
        Path policyDir = Files.createDirectories(state.resolve("policy"));
        Files.writeString(policyDir.resolve("policy.yaml"), """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: cheap, targets: [{provider: up, model: cheap-up}]}
                admins:
                  - {id: ops, role: operator, sha256: %s}
                customers:
                  - {id: acme}
                teams:
                  - {id: infra, customer: acme}
                keys:
                  - {id: alice, team: infra, sha256: %s}
                """.formatted(upstream.port(), Secrets.sha256("admin-secret"), Secrets.sha256("k-alice")));
        PolicyHolder holder = new PolicyHolder(PolicyLoader.loadDirectory(policyDir));
        DirectoryPolicyWatcher watcher = new DirectoryPolicyWatcher(policyDir, holder, Duration.ofHours(1));
        ServerSettings settings = new ServerSettings("127.0.0.1", 0, "unused", state.resolve("state"), BODY_LIMIT, Duration.ofSeconds(5),
                "main", "", Duration.ofHours(1), Optional.of(WEBHOOK_SECRET)).withBodyCaps(BUFFERED, 32 * 1024);
        // The scrape token by reference, as Prometheus' credentials_file would share it.
        Path token = Files.writeString(state.resolve("metrics-token"), "scrape-secret\n");
        int managementPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            managementPort = free.getLocalPort();
        }
        gateway = TollgateServer.start(settings, holder, watcher, Telemetry.create(
                TelemetrySettings.defaults().withMetrics(managementPort, "file:" + token), state.resolve("state")));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.received.clear();
        upstream.answer(FakeUpstream.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}"));
    }

    /** The status line and body of an HTTP/1.1 answer read from a raw socket. */
    record Answer(int status, Map<String, String> headers, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /**
     * Sends a request head declaring a body just under the body limit (as 30 MiB is under the default
     * 32 MiB) and only its first 64 KiB, then reads the answer: a server that waited for the whole body
     * would never answer (the socket times out and the test fails).
     */
    private static Answer withUnsentBody(String path, String... headers) throws IOException {
        return withUnsentBody(path, BODY_LIMIT - 1, headers);
    }

    private static Answer withUnsentBody(String path, long declared, String... headers) throws IOException {
        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                    + "content-length: " + declared + "\r\n");
            for (String h : headers) {
                head.append(h).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            byte[] part = new byte[64 * 1024];
            java.util.Arrays.fill(part, (byte) ' ');
            part[0] = '{';
            out.write(part);
            out.flush();
            return read(s.getInputStream());
        }
    }

    /**
     * Streams a chunked body that never ends (no last chunk) from another thread while this one waits
     * for the answer: only a server that stops reading at its cap can answer at all.
     */
    private static Answer withEndlessChunkedBody(String path, AtomicLong sent, String... headers) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                    + "transfer-encoding: chunked\r\n");
            for (String h : headers) {
                head.append(h).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    // Up to 400 MB, as in the report; the server's answer or its closing the socket ends it sooner.
                    while (sent.get() < 400L << 20) {
                        out.write(size);
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the server closed the connection: expected once it has answered
                }
            });
            try {
                return read(s.getInputStream());
            } finally {
                s.close();
                writer.join(10_000);
            }
        }
    }

    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before an answer: " + head);
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new java.util.HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Answer(status, headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    @Test
    void aKeylessApiBodyIsRefusedFromTheHeadersWithoutBeingRead() throws Exception {
        Answer openai = withUnsentBody("/v1/chat/completions");
        assertEquals(401, openai.status(), openai.body());
        assertEquals("missing_api_key", openai.json().path("error").path("code").asText(), openai.body());

        Answer anthropic = withUnsentBody("/anthropic/v1/messages", "x-api-key: not-a-key");
        assertEquals(401, anthropic.status(), anthropic.body());
        assertEquals("authentication_error", anthropic.json().path("error").path("type").asText(), anthropic.body());

        Answer gemini = withUnsentBody("/genai/v1beta/models/cheap:generateContent");
        assertEquals(401, gemini.status(), gemini.body());
        assertEquals("UNAUTHENTICATED", gemini.json().path("error").path("status").asText(), gemini.body());
        assertTrue(upstream.received.isEmpty());
    }

    @Test
    void anAuthenticatedBodyOverTheLimitIsRefusedFromItsDeclaredLength() throws Exception {
        Answer a = withUnsentBody("/v1/chat/completions", 30 << 20, "authorization: Bearer k-alice");
        assertEquals(413, a.status(), a.body());
        assertTrue(upstream.received.isEmpty());
    }

    @Test
    void anAdminRefreshWithAnEndlessChunkedBodyIsRefused413AfterItsCap() throws Exception {
        AtomicLong sent = new AtomicLong();
        Answer a = withEndlessChunkedBody("/admin/policy/refresh", sent, "authorization: Bearer admin-secret");
        assertEquals(413, a.status(), a.body());
        assertTrue(a.json().path("error").path("message").asText().contains("takes no body"), a.body());
        assertTrue(sent.get() < 400L << 20, "the server answered before the client stopped sending");
    }

    @Test
    void anAdminRefreshWithoutATokenIsRefusedBeforeTheBodyIsRead() throws Exception {
        Answer a = withUnsentBody("/admin/policy/refresh");
        assertEquals(401, a.status(), a.body());
    }

    @Test
    void aWebhookIsCheckedFromItsHeadersAndItsBodyCapped() throws Exception {
        // GitLab's token is in a header: a wrong one is refused without reading the body.
        Answer gitlab = withUnsentBody("/admin/policy/refresh", "x-gitlab-token: wrong");
        assertEquals(401, gitlab.status(), gitlab.body());
        // GitHub's signature covers the body: an endless one is cut at the webhook cap.
        AtomicLong sent = new AtomicLong();
        Answer github = withEndlessChunkedBody("/admin/policy/refresh", sent, "x-hub-signature-256: sha256=00");
        assertEquals(413, github.status(), github.body());
        assertTrue(github.json().path("error").path("message").asText().contains("TOLLGATE_WEBHOOK_BODY_LIMIT"), github.body());
        // A declared length over the cap is refused before reading.
        Answer declared = withUnsentBody("/admin/policy/refresh", 30 << 20, "x-hub-signature-256: sha256=00");
        assertEquals(413, declared.status(), declared.body());
    }

    @Test
    void aSignedWebhookWithinItsCapRefreshes() throws Exception {
        byte[] body = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        for (String sig : new String[]{signature, "sha256=" + "0".repeat(64)}) {
            try (Socket s = new Socket("127.0.0.1", gateway.port())) {
                s.setSoTimeout(20_000);
                OutputStream out = s.getOutputStream();
                // Chunked, as the signature is computed over a streamed body either way.
                out.write(("POST /admin/policy/refresh HTTP/1.1\r\nHost: 127.0.0.1\r\nx-hub-signature-256: " + sig
                        + "\r\ntransfer-encoding: chunked\r\n\r\n" + Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Answer a = read(s.getInputStream());
                assertEquals(sig.equals(signature) ? 200 : 401, a.status(), a.body());
            }
        }
    }

    @Test
    void bodiesHeldAtOnceHaveACeilingAndA503InDialectBeyondIt() throws Exception {
        CountDownLatch inUpstream = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        upstream.answer((req, res) -> {
            inUpstream.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeUpstream.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}").accept(req, res);
        });
        String big = "{\"model\":\"cheap\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(BODY_LIMIT - 200) + "\"}]}";
        var first = Thread.ofVirtual().start(() -> {
            try {
                assertEquals(200, post("/v1/chat/completions", big).status());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(inUpstream.await(20, TimeUnit.SECONDS), "the first request reached the upstream");
        try {
            // The first body is held until its request ends: a second as large does not fit beside it.
            Answer second = post("/v1/chat/completions", big);
            assertEquals(503, second.status(), second.body());
            assertEquals("1", second.headers().get("retry-after"));
            assertEquals("overloaded", second.json().path("error").path("code").asText(), second.body());
            Answer anthropic = post("/anthropic/v1/messages", big);
            assertEquals(503, anthropic.status(), anthropic.body());
            assertEquals("overloaded_error", anthropic.json().path("error").path("type").asText(), anthropic.body());
            assertEquals(1, upstream.received.size(), "the refused ones never reached the upstream");
            // A small one still fits beside the first.
            upstream.answer(FakeUpstream.json(200, "{\"id\":\"c2\",\"object\":\"chat.completion\",\"choices\":[]}"));
            assertEquals(200, post("/v1/chat/completions", "{\"model\":\"cheap\",\"messages\":[]}").status());
        } finally {
            release.countDown();
            first.join(20_000);
        }
        // Given back when the first request ended: its filter may still be finishing when the client has the answer.
        reset();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Answer again = post("/v1/chat/completions", big);
        while (again.status() == 503 && System.nanoTime() < deadline) {
            again = post("/v1/chat/completions", big);
        }
        assertEquals(200, again.status(), again.body());
    }

    private static Answer post(String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer k-alice\r\n"
                    + "x-api-key: k-alice\r\ncontent-length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return read(s.getInputStream());
        }
    }

    private static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (bearer != null) {
            b.header("authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsNeedATokenOnTheMainPortAndNoneOnTheManagementPort() throws Exception {
        HttpResponse<String> none = get(gateway.port(), "/metrics", null);
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("TOLLGATE_METRICS_TOKEN") && none.body().contains("tollgate.management.port"), none.body());
        assertFalse(none.body().contains("alice"), "nothing about keys without a token");
        assertEquals(401, get(gateway.port(), "/metrics", "scrape-secreT").statusCode());
        assertEquals(401, get(gateway.port(), "/metrics", "k-alice").statusCode(), "a virtual key is not a scrape token");
        HttpResponse<String> scraped = get(gateway.port(), "/metrics", "scrape-secret");
        assertEquals(200, scraped.statusCode(), scraped.body());
        assertTrue(scraped.body().contains("tollgate_requests_total") || scraped.body().contains("# TYPE"), scraped.body());
        assertEquals(200, get(gateway.port(), "/metrics", "admin-secret").statusCode(), "an admin token also scrapes");

        assertTrue(gateway.managementPort() > 0);
        HttpResponse<String> management = get(gateway.managementPort(), "/metrics", null);
        assertEquals(200, management.statusCode(), management.body());
        assertEquals(404, get(gateway.managementPort(), "/v1/models", "k-alice").statusCode(), "the management port serves metrics only");
    }

    @Test
    void adminQueryParametersOutOfRangeAre400SayingWhatIsAccepted() throws Exception {
        for (String query : new String[]{"/admin/requests?since=99999999999999d", "/admin/requests?status=bogus", "/admin/requests?limit=-1",
                "/admin/requests?limit=abc", "/admin/requests?limit=1001", "/admin/requests?until=%2B999999999-01-01T00:00:00Z",
                "/admin/stats?since=99999999999999d", "/admin/stats?since=x", "/admin/usage?period=x", "/admin/usage?by=nobody"}) {
            HttpResponse<String> r = get(gateway.port(), query, "admin-secret");
            assertEquals(400, r.statusCode(), query + ": " + r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("invalid_request", error.path("type").asText(), query + ": " + r.body());
            assertTrue(error.path("message").asText().contains("must be"), query + ": " + r.body());
        }
        HttpResponse<String> ok = get(gateway.port(), "/admin/requests?limit=1000&status=4xx&since=7d", "admin-secret");
        assertEquals(200, ok.statusCode(), ok.body());
    }

    @Test
    void theBudgetIsGivenBackWhenAKeylessRequestEnds() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(401, withUnsentBody("/v1/chat/completions").status());
        }
        assertFalse(post("/v1/chat/completions", "{\"model\":\"cheap\",\"messages\":[]}").status() == 503);
    }
}
