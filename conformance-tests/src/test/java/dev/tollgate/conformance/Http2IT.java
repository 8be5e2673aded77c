package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 on the gateway's listener with real clients on loopback: the JDK's HttpClient negotiating h2 by ALPN
 * on an HTTPS gateway, and the system curl (nghttp2) with {@code --http2} over TLS and
 * {@code --http2-prior-knowledge} on a plain one (h2c). Upstream is the simulator, which says what reached it.
 */
class Http2IT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CURL = Path.of("/usr/bin/curl");
    private static final int BODY_LIMIT = 65_536;
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static Stack stack;
    private static Path dir;
    private static TestPki.Issued ca;
    private static Process tlsGateway;
    private static int tlsPort;
    private static HttpClient h2;

    @BeforeAll
    static void up() throws Exception {
        String policy = """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: simr, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1", settings: {api: responses}}
                  - {id: anth, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: m, targets: [{provider: sim, model: m}]}
                  - {name: held, targets: [{provider: sim, model: held}]}
                  - {name: many, targets: [{provider: sim, model: many}]}
                  - {name: r, targets: [{provider: simr, model: r}]}
                  - {name: claude-x, targets: [{provider: anth, model: claude-x}]}
                pricing:
                  - {model: m, input: 1000, output: 1000}
                  - {model: held, input: 1000, output: 1000}
                  - {model: many, input: 1000, output: 1000}
                  - {model: r, input: 1000, output: 1000}
                  - {model: claude-x, input: 1000, output: 1000}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: dev, team: infra, sha256: %s, budgets: [{amount_usd: 1000, period: monthly}]}
                """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"));
        // The body limit by environment: both gateways read it.
        stack = Stack.start("http2", policy, Map.of("TOLLGATE_BODY_LIMIT", String.valueOf(BODY_LIMIT)));
        dir = Files.createDirectories(stack.workDir.resolve("tls"));
        ca = TestPki.ca(dir, "h2-ca");
        TestPki.Issued listener = TestPki.leaf(dir, "h2-listener", ca);
        tlsPort = Stack.freePort();
        ProcessBuilder b = new ProcessBuilder(Stack.HOME.resolve("bin/tollgate").toString(), "serve", "--port", "" + tlsPort,
                "--policy", stack.workDir.resolve("policy").toString(), "--state-dir", dir.resolve("state").toString())
                .directory(Stack.HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stack.workDir.resolve("gateway-tls.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        b.environment().putAll(Map.of("TOLLGATE_TLS_CERT", listener.certFile().toString(), "TOLLGATE_TLS_KEY", listener.keyFile().toString(),
                "TOLLGATE_BODY_LIMIT", String.valueOf(BODY_LIMIT)));
        tlsGateway = b.start();
        // HTTP/2 is the JDK client's default; said here so the test reads as what it checks.
        h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(TlsIT.trusting(ca.cert()))
                .connectTimeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                if (h2.send(HttpRequest.newBuilder(tls("/health/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            assertTrue(tlsGateway.isAlive() && System.nanoTime() < deadline, "the HTTPS gateway did not come up: " + stack.logs());
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (tlsGateway != null) {
            tlsGateway.destroy();
            tlsGateway.waitFor();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static URI tls(String path) {
        return URI.create("https://127.0.0.1:" + tlsPort + path);
    }

    private static HttpRequest.Builder post(URI uri, String body) {
        return HttpRequest.newBuilder(uri).header("authorization", "Bearer tg-dev").header("x-api-key", "tg-dev")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    }

    // --- the JDK's client over TLS: h2 by ALPN --------------------------------------------------------------

    @Test
    void aGovernedRequestOverAlpnH2IsKeyCheckedChargedAndLogged() throws Exception {
        long before = simCalls("m").size();
        BigDecimal spentBefore = spend().path("spent_usd").decimalValue();
        HttpResponse<String> r = h2.send(post(tls("/v1/chat/completions"), CHAT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, r.version(), "h2 negotiated by ALPN");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("choices").path(0).path("message").path("content").asText().contains("simulator"), r.body());
        assertEquals(before + 1, simCalls("m").size(), "the upstream got the call");
        String id = r.headers().firstValue("x-tollgate-request-id").orElse(null);
        assertNotNull(id, "the answer names its request");
        JsonNode record = logged(id);
        assertEquals(200, record.path("status").asInt(), record.toString());
        assertEquals("dev", record.path("key").asText(), record.toString());
        BigDecimal cost = record.path("cost_usd").decimalValue();
        assertTrue(cost.signum() > 0, record.toString());
        assertEquals(0, spend().path("spent_usd").decimalValue().subtract(spentBefore).compareTo(cost), "the key's budget was charged the logged cost");
    }

    @Test
    void noKeyIs401InTheDialectOverH2() throws Exception {
        HttpResponse<String> openai = h2.send(HttpRequest.newBuilder(tls("/v1/chat/completions")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, openai.version());
        assertEquals(401, openai.statusCode(), openai.body());
        assertFalse(JSON.readTree(openai.body()).path("error").path("message").asText().isEmpty(), openai.body());
        HttpResponse<String> anthropic = h2.send(HttpRequest.newBuilder(tls("/anthropic/v1/messages")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anthropic.statusCode(), anthropic.body());
        assertEquals("authentication_error", JSON.readTree(anthropic.body()).path("error").path("type").asText(), anthropic.body());
    }

    @Test
    void anOversizedBodyIs413InTheDialectOverH2DeclaredOrNot() throws Exception {
        String big = "{\"model\":\"claude-x\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(200_000) + "\"}]}";
        HttpResponse<String> declared = h2.send(post(tls("/anthropic/v1/messages"), big).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, declared.version());
        assertEquals(413, declared.statusCode(), declared.body());
        assertEquals("request_too_large", JSON.readTree(declared.body()).path("error").path("type").asText(), declared.body());
        // No Content-Length: cut at the limit as it streams in.
        byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> streamed = h2.send(HttpRequest.newBuilder(tls("/v1/chat/completions")).header("authorization", "Bearer tg-dev")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, streamed.statusCode(), streamed.body());
        assertEquals("request_too_large", JSON.readTree(streamed.body()).path("error").path("code").asText(), streamed.body());
        // The connection serves on.
        HttpResponse<String> after = h2.send(post(tls("/v1/chat/completions"), CHAT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, after.statusCode(), after.body());
    }

    @Test
    void headersLargerThanTheLimitAre431InTheDialectOverH2() throws Exception {
        HttpResponse<String> r = h2.send(post(tls("/v1/chat/completions"), CHAT).header("x-padding", "x".repeat(20_000)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, r.version());
        assertEquals(431, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("error").path("message").asText().contains("headers are too large"), r.body());
    }

    /** The simulator holds the stream after three events: they reached the client as they were written, not at the end. */
    @Test
    void aStreamOverAlpnH2FlushesEachEventWhileTheUpstreamHoldsTheRest() throws Exception {
        queue("{\"faults\":[{\"hold_after_chunks\":3,\"model\":\"held\"}]}");
        HttpResponse<Stream<String>> r = h2.send(post(tls("/v1/chat/completions"),
                "{\"model\":\"held\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals(HttpClient.Version.HTTP_2, r.version());
        assertEquals(200, r.statusCode());
        Iterator<String> lines = r.body().iterator();
        assertHeldThenWhole(lines::hasNext, lines::next);
    }

    /** Forty streams on the JDK client's one connection, all in flight at once (the simulator holds each after an event). */
    @Test
    void manyConcurrentStreamsOnOneConnection() throws Exception {
        int n = 40;
        // One fault per stream: each its own hold, so the release says how many were still held.
        queue("{\"faults\":[" + String.join(",", java.util.Collections.nCopies(n, "{\"hold_after_chunks\":1,\"model\":\"many\"}")) + "]}");
        long before = simCalls("many").size();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(h2.sendAsync(post(tls("/v1/chat/completions"),
                    "{\"model\":\"many\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi " + i + "\"}]}").build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (simCalls("many").size() < before + n) {
            assertTrue(System.nanoTime() < deadline, "all " + n + " streams reached the upstream at once: " + (simCalls("many").size() - before));
            Thread.sleep(50);
        }
        assertEquals(n, released(), "every stream was still held, all in flight together");
        for (var f : all) {
            HttpResponse<String> r = f.get();
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("data: [DONE]"), r.body());
        }
    }

    // --- curl (nghttp2): --http2 over TLS, --http2-prior-knowledge on plain HTTP ------------------------------------

    @Test
    void curlNegotiatesH2OverTlsAndMultiplexesOneConnection() throws Exception {
        assumeCurl();
        Path config = dir.resolve("curl-urls");
        StringBuilder urls = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            urls.append("url = \"").append(tls("/v1/chat/completions")).append("\"\noutput = /dev/null\n");
        }
        Files.writeString(config, urls);
        List<String> out = curl(List.of("--http2", "--cacert", ca.certFile().toString(), "-Z", "--parallel-max", "20", "-K", config.toString(),
                "-H", "authorization: Bearer tg-dev", "-H", "content-type: application/json", "-d", CHAT,
                "-w", "%{http_code} %{http_version} %{num_connects}\\n")).stream().filter(l -> l.matches("\\d{3} \\S+ \\d+")).toList();
        assertEquals(20, out.size(), String.join("\n", out));
        int connects = 0;
        for (String line : out) {
            String[] f = line.split(" ");
            assertEquals("200", f[0], line);
            assertEquals("2", f[1], "h2 negotiated: " + line);
            connects += Integer.parseInt(f[2]);
        }
        assertEquals(1, connects, "twenty streams on one connection");
    }

    @Test
    void curlByPriorKnowledgeGetsH2cGovernedAndGuarded() throws Exception {
        assumeCurl();
        String url = stack.gateway("/v1/chat/completions");
        long before = simCalls("m").size();
        List<String> ok = curl(List.of("--http2-prior-knowledge", "-H", "authorization: Bearer tg-dev", "-H", "content-type: application/json",
                "-d", CHAT, "-w", "\\n%{http_code} %{http_version}\\n", url));
        assertEquals("200 2", ok.getLast(), String.join("\n", ok));
        assertEquals(before + 1, simCalls("m").size(), "the upstream got the call");

        List<String> noKey = curl(List.of("--http2-prior-knowledge", "-d", CHAT, "-w", "\\n%{http_code} %{http_version}\\n",
                stack.gateway("/anthropic/v1/messages")));
        assertEquals("401 2", noKey.getLast(), String.join("\n", noKey));
        assertTrue(noKey.getFirst().contains("authentication_error"), noKey.getFirst());

        Path big = dir.resolve("big.json");
        Files.writeString(big, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(200_000) + "\"}]}");
        List<String> tooBig = curl(List.of("--http2-prior-knowledge", "-H", "authorization: Bearer tg-dev", "--data-binary", "@" + big,
                "-w", "\\n%{http_code} %{http_version}\\n", url));
        assertEquals("413 2", tooBig.getLast(), String.join("\n", tooBig));
        assertTrue(tooBig.getFirst().contains("request_too_large"), tooBig.getFirst());

        List<String> bigHeaders = curl(List.of("--http2-prior-knowledge", "-H", "authorization: Bearer tg-dev", "-H", "x-padding: " + "x".repeat(20_000),
                "-d", CHAT, "-w", "\\n%{http_code} %{http_version}\\n", url));
        assertEquals("431 2", bigHeaders.getLast(), String.join("\n", bigHeaders));
    }

    /** curl prints each event as it comes (-N): three while the simulator holds the rest. */
    @Test
    void curlStreamsOverH2cEventByEvent() throws Exception {
        assumeCurl();
        queue("{\"faults\":[{\"hold_after_chunks\":3,\"model\":\"held\"}]}");
        Process p = new ProcessBuilder(CURL.toString(), "-sN", "--http2-prior-knowledge", "-H", "authorization: Bearer tg-dev",
                "-H", "content-type: application/json", "-d", "{\"model\":\"held\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "-w", "\\n%{http_code} %{http_version}\\n", stack.gateway("/v1/chat/completions")).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String[] next = new String[1];
            assertHeldThenWhole(() -> {
                try {
                    next[0] = out.readLine();
                    return next[0] != null;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, () -> next[0]);
            List<String> rest = out.lines().toList();
            assertEquals("200 2", rest.getLast(), String.join("\n", rest));
        } finally {
            p.waitFor();
        }
    }

    /** JDK and curl ask plain-HTTP requests to upgrade to h2c; that upgrade is not served: the answer is HTTP/1.1. */
    @Test
    void anUpgradeToH2cIsAnsweredInHttp11() throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
                .send(post(URI.create(stack.gateway("/v1/chat/completions")), CHAT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(HttpClient.Version.HTTP_1_1, r.version());
        if (Files.isExecutable(CURL)) {
            List<String> out = curl(List.of("--http2", "-o", "/dev/null", "-w", "%{http_code} %{http_version}\\n", stack.gateway("/health/live")));
            assertEquals("200 1.1", out.getLast());
        }
    }

    /** The Responses WebSocket is an HTTP/1.1 upgrade; HTTP/2 on the listener leaves it as it was. */
    @Test
    void theResponsesWebSocketStillWorks() throws Exception {
        long before = simCalls("r").size();
        String last = SocketTurn.run(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + stack.gatewayPort + "/v1/responses"), "tg-dev",
                "{\"type\":\"response.create\",\"model\":\"r\",\"stream\":true,\"input\":\"hi\"}");
        assertEquals("response.completed", JSON.readTree(last).path("type").asText(), last);
        assertEquals(before + 1, simCalls("r").size(), "the upstream got the call");
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /** Reads SSE lines: three events while the simulator holds (released: 1 proves it still held), then the rest to [DONE]. */
    private static void assertHeldThenWhole(java.util.function.BooleanSupplier hasNext, java.util.function.Supplier<String> next) throws Exception {
        int events = 0;
        while (events < 3) {
            assertTrue(hasNext.getAsBoolean(), "the stream ended after " + events + " events");
            if (next.get().startsWith("data:")) {
                events++;
            }
        }
        assertEquals(1, released(), "the three events came while the upstream still held the stream");
        boolean done = false;
        while (!done && hasNext.getAsBoolean()) {
            done = next.get().equals("data: [DONE]");
        }
        assertTrue(done, "the stream ended with [DONE]");
    }

    private static void queue(String faults) throws Exception {
        HttpResponse<String> r = stack.post(stack.sim("/_sim/faults"), faults);
        assertEquals(200, r.statusCode(), r.body());
    }

    private static int released() throws Exception {
        HttpResponse<String> r = stack.post(stack.sim("/_sim/faults/release"), "{}");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("released").asInt();
    }

    private static List<JsonNode> simCalls(String model) throws Exception {
        JsonNode all = JSON.readTree(stack.get(stack.sim("/_sim/requests")).body());
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode req : all.isArray() ? all : all.path("requests")) {
            if (model.equals(req.path("body").path("model").asText())) {
                calls.add(req);
            }
        }
        return calls;
    }

    private static JsonNode logged(String id) throws Exception {
        HttpRequest get = HttpRequest.newBuilder(tls("/admin/requests/" + id)).header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            HttpResponse<String> r = h2.send(get, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return JSON.readTree(r.body());
            }
            assertTrue(System.nanoTime() < deadline, "request " + id + " never reached the request log: " + r.body());
            Thread.sleep(20);
        }
    }

    /** The dev key's spend on the HTTPS gateway, from {@code /v1/usage}. */
    private static JsonNode spend() throws Exception {
        return JSON.readTree(h2.send(HttpRequest.newBuilder(tls("/v1/usage")).header("authorization", "Bearer tg-dev").build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("spend").path("total");
    }

    private static void assumeCurl() throws Exception {
        boolean usable = Files.isExecutable(CURL) && curl(List.of("-V")).getFirst().contains("nghttp2");
        if (!usable && "1".equals(System.getenv("TOLLGATE_REQUIRE_CURL"))) {
            throw new AssertionError("curl with HTTP/2 (nghttp2) is required: apt-get install -y curl");
        }
        Assumptions.assumeTrue(usable, "curl with HTTP/2 not installed (apt-get install -y curl)");
    }

    /** Runs curl -s with these arguments; its output lines. */
    private static List<String> curl(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CURL.toString(), "-s"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).lines().toList();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "curl finished");
        return lines;
    }
}
