package dev.tollgate.server.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.TollgateServer;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ConnectionSettings;
import dev.tollgate.server.settings.ConnectionSettings.Http2Mode;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 by prior knowledge (h2c) on a real gateway in this JVM with short timeouts, spoken to frame by frame:
 * the HTTP/1.1 guards hold on streams too.
 */
class Http2ListenerTest {

    private static final Duration HEAD = Duration.ofMillis(600);
    private static final Duration BODY = Duration.ofMillis(800);
    private static final Duration IDLE = Duration.ofMillis(1000);
    /** Far above every timeout: a read still blocked this long means the server never acted. */
    private static final int CLIENT_DEADLINE_MS = 15_000;
    private static final Map<String, String> KEY = Map.of("authorization", "Bearer tg-dev", "content-type", "application/json");

    private final List<LogRecord> traces = new CopyOnWriteArrayList<>();
    private final Handler catcher = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getThrown() != null && r.getLevel().intValue() >= Level.INFO.intValue() || r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                traces.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final List<TollgateServer> started = new ArrayList<>();
    private final List<Path> states = new ArrayList<>();
    private TollgateServer gateway;

    @BeforeEach
    void start() throws Exception {
        Logger.getLogger("").addHandler(catcher);
        gateway = start(ConnectionSettings.defaults().withTimeouts(HEAD, BODY, IDLE));
    }

    private TollgateServer start(ConnectionSettings connections) throws Exception {
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest("tg-dev".getBytes(StandardCharsets.UTF_8)));
        var policy = PolicyLoader.load(Map.of("p.yaml", ("""
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: m, targets: [{provider: up, model: m}]}
                pricing:
                  - {model: "*", input: 1, output: 1}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: dev, team: infra, sha256: %s}
                """).formatted(hash).getBytes(StandardCharsets.UTF_8)));
        // The policy has a key, so the spend ledger opens in the state directory: a fresh one per gateway.
        Path state = java.nio.file.Files.createTempDirectory("tollgate-h2-state-");
        states.add(state);
        TollgateServer server = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(1)),
                connections, new PolicyHolder(policy), null, Clock.systemUTC(), Telemetry.create(TelemetrySettings.defaults(), null));
        started.add(server);
        return server;
    }

    @AfterEach
    void stop() {
        started.forEach(TollgateServer::close);
        Logger.getLogger("").removeHandler(catcher);
        for (Path state : states) {
            try (var files = java.nio.file.Files.walk(state)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException gone) {
                // a temporary directory: left for the system to clear
            }
        }
    }

    @Test
    void aSilentH2cConnectionIsClosedAfterTheHeadTimeout() throws Exception {
        try (H2cClient c = new H2cClient(gateway.port(), true, CLIENT_DEADLINE_MS)) {
            assertTrue(c.closedByServer(), "the server closed the connection");
        }
        assertEquals(1, gateway.listener().connections().headTimeouts());
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    @Test
    void anH2cConnectionWithNoStreamInFlightIsClosedAfterTheIdleTimeout() throws Exception {
        try (H2cClient c = new H2cClient(gateway.port(), true, CLIENT_DEADLINE_MS)) {
            c.headers(1, "GET", "/health/live", Map.of(), true);
            H2cClient.Answer a = c.answer(1);
            assertEquals(200, a.status());
            assertEquals("{\"status\":\"UP\"}", a.body());
            assertTrue(c.closedByServer(), "the server closed the connection");
        }
        assertEquals(1, gateway.listener().connections().idleTimeouts(), "head timeouts: " + gateway.listener().connections().headTimeouts());
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    /**
     * Helidon's stream waits for DATA with no deadline; the watch answers 408 in the client's dialect after the body
     * timeout. The stream was in flight longer than the head timeout, and the connection serves on.
     */
    @Test
    void aStalledBodyIsAnswered408AndTheConnectionServesOn() throws Exception {
        try (H2cClient c = new H2cClient(gateway.port(), true, CLIENT_DEADLINE_MS)) {
            Map<String, String> fields = new java.util.HashMap<>(KEY);
            fields.put("content-length", "100");
            c.headers(1, "POST", "/anthropic/v1/messages", fields, false);
            c.data(1, "{\"model\":", false);
            H2cClient.Answer a = c.answer(1);
            assertEquals(408, a.status(), a.body());
            assertTrue(a.body().contains("\"type\":\"error\"") && a.body().contains("stopped arriving")
                    && a.body().contains("tollgate.connections.timeout.body"), a.body());

            c.headers(3, "GET", "/health/live", Map.of(), true);
            assertEquals(200, c.answer(3).status(), "the same connection serves the next stream");
        }
        assertEquals(1, gateway.listener().connections().bodyTimeouts());
        await(() -> gateway.inFlight() == 0, "the request ended");
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    /** Helidon's stream would wait for the rest of the body for good once its connection is gone; the sweep ends it. */
    @Test
    void aClientThatLeavesMidBodyEndsItsRequest() throws Exception {
        TollgateServer patient = start(ConnectionSettings.defaults().withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60)));
        try (H2cClient c = new H2cClient(patient.port(), true, CLIENT_DEADLINE_MS)) {
            Map<String, String> fields = new java.util.HashMap<>(KEY);
            fields.put("content-length", "100");
            c.headers(1, "POST", "/v1/chat/completions", fields, false);
            c.data(1, "{\"model\":", false);
            await(() -> patient.inFlight() == 1, "the request is reading its body");
        }
        // Far below the 60 s body timeout: only the connection's end can have ended it.
        await(() -> patient.inFlight() == 0, "the request ended with its connection");
        assertEquals(0, patient.listener().connections().bodyTimeouts());
    }

    @Test
    void headersLargerThanTheLimitAre431InTheDialect() throws Exception {
        try (H2cClient c = new H2cClient(gateway.port(), true, CLIENT_DEADLINE_MS)) {
            Map<String, String> fields = new java.util.HashMap<>(KEY);
            fields.put("x-big", "x".repeat(20_000));
            c.headers(1, "POST", "/anthropic/v1/messages", fields, true);
            H2cClient.Answer a = c.answer(1);
            assertEquals(431, a.status(), a.body());
            assertTrue(a.body().contains("\"type\":\"error\"") && a.body().contains("headers are too large"), a.body());
            // Beyond twice the limit on the wire, Helidon ends the connection itself (GOAWAY).
            fields.put("x-big", "x".repeat(40_000));
            c.headers(3, "GET", "/health/live", fields, true);
            IOException refused = assertThrows(IOException.class, () -> c.answer(3));
            assertTrue(refused.getMessage().contains("GOAWAY") || refused.getMessage().contains("closed"), refused.getMessage());
        }
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    @Test
    void anEncodedBodyIs415InTheDialect() throws Exception {
        try (H2cClient c = new H2cClient(gateway.port(), true, CLIENT_DEADLINE_MS)) {
            Map<String, String> fields = new java.util.HashMap<>(KEY);
            fields.put("content-encoding", "gzip");
            c.headers(1, "POST", "/v1/chat/completions", fields, false);
            c.data(1, "{}", true);
            H2cClient.Answer a = c.answer(1);
            assertEquals(415, a.status(), a.body());
            assertTrue(a.body().contains("unsupported_content_encoding"), a.body());
        }
    }

    /** Each stream beyond a connection's first may hold an upstream connection: it counts against the connection cap. */
    @Test
    void streamsBeyondTheSoftCapAre503InTheDialect() throws Exception {
        TollgateServer small = start(new ConnectionSettings(8, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30)));
        int soft = small.listener().cap() - Math.max(1, small.listener().cap() / 16);
        try (H2cClient c = new H2cClient(small.port(), true, CLIENT_DEADLINE_MS)) {
            Map<String, String> fields = new java.util.HashMap<>(KEY);
            fields.put("content-length", "100");
            // Streams that stay in flight (their bodies never complete), more than the soft cap.
            for (int i = 0; i < soft + 3; i++) {
                c.headers(1 + 2 * i, "POST", "/v1/chat/completions", fields, false);
            }
            String refusal = null;
            while (refusal == null) {
                H2cClient.Frame f = c.next();
                assertNotNull(f, "the connection stays open");
                if (f.type() == H2cClient.DATA && f.text().contains("requests in flight")) {
                    refusal = f.text();
                }
            }
            assertTrue(refusal.contains("\"overloaded\"") || refusal.contains("overloaded"), refusal);
        }
        assertTrue(small.listener().connections().refusedOverCap() >= 1);
        await(() -> small.inFlight() == 0, "the held streams ended with their connection");
    }

    /**
     * The JDK's client asks every plain-HTTP request to upgrade to h2c; that upgrade is not served, the answer is HTTP/1.1
     * and the connection is held to the idle timeout like any other (an Upgrade header once exempted it from the sweep).
     */
    @Test
    void anUpgradeToH2cIsAnsweredInHttp11AndTheConnectionStillIdlesOut() throws Exception {
        HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> r = jdk.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/health/live")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(HttpClient.Version.HTTP_1_1, r.version());
        await(() -> gateway.listener().connections().idleTimeouts() == 1, "the kept-alive connection closed after the idle timeout");
    }

    @Test
    void withHttp2OffOrTlsOnlyAPlainPrefaceGetsA505InHttp11() throws Exception {
        for (Http2Mode mode : List.of(Http2Mode.OFF, Http2Mode.TLS_ONLY)) {
            TollgateServer h1 = start(ConnectionSettings.defaults().withHttp2(mode));
            try (Socket s = new Socket("127.0.0.1", h1.port())) {
                s.setSoTimeout(CLIENT_DEADLINE_MS);
                s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1));
                s.shutdownOutput(); // the refusal reads what follows until the client is done
                String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(all.startsWith("HTTP/1.1 505") && all.contains("tollgate.http2"), mode + ": " + all);
            }
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(CLIENT_DEADLINE_MS).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + CLIENT_DEADLINE_MS + " ms: " + what);
            Thread.sleep(20);
        }
    }
}
