package dev.tollgate.server.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.TollgateServer;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ConnectionSettings;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

/** A real gateway in this JVM with short timeouts, spoken to over raw sockets. */
class SlowConnectionsTest {

    private static final Duration HEAD = Duration.ofMillis(600);
    private static final Duration BODY = Duration.ofMillis(800);
    private static final Duration IDLE = Duration.ofMillis(1000);
    /** Far above every timeout: a read still blocked this long means the server never closed. */
    private static final int CLIENT_DEADLINE_MS = 15_000;

    private final List<LogRecord> traces = new CopyOnWriteArrayList<>();
    private final Handler catcher = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getThrown() != null && r.getLevel().intValue() >= Level.INFO.intValue()) {
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
    private TollgateServer gateway;

    @BeforeEach
    void start() throws Exception {
        Logger.getLogger("").addHandler(catcher);
        var policy = PolicyLoader.load(Map.of("p.yaml",
                "providers:\n  - {id: up, kind: openai-compatible, base_url: \"http://127.0.0.1:9/v1\"}\n".getBytes(StandardCharsets.UTF_8)));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(1)),
                ConnectionSettings.defaults().withTimeouts(HEAD, BODY, IDLE), new PolicyHolder(policy), null, Clock.systemUTC(),
                Telemetry.create(TelemetrySettings.defaults(), null));
    }

    @AfterEach
    void stop() {
        gateway.close();
        Logger.getLogger("").removeHandler(catcher);
    }

    @Test
    void aSilentConnectionIsClosedAfterTheHeadTimeout() throws Exception {
        try (Socket s = connect()) {
            assertEquals(-1, s.getInputStream().read(), "the server closed the connection without an answer");
        }
        assertEquals(1, gateway.listener().connections().headTimeouts());
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    @Test
    void halfAPrologueAndHalfAHeadAreClosedAfterTheHeadTimeout() throws Exception {
        for (String partial : List.of("GET /health/li", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: appl")) {
            try (Socket s = connect()) {
                s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertEquals(-1, s.getInputStream().read(), "closed after: " + partial);
            }
        }
        assertEquals(2, gateway.listener().connections().headTimeouts());
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    @Test
    void halfABodyIsClosedAfterTheBodyTimeout() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertEquals(-1, readToEnd(s).indexOf("HTTP/1.1 2"), "no success answer");
        }
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    @Test
    void aKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String all = readToEnd(s); // the answer, then the end of the stream once the server closes
            assertTrue(all.startsWith("HTTP/1.1 200") && all.endsWith("{\"status\":\"UP\"}"), all);
        }
        assertEquals(1, gateway.listener().connections().idleTimeouts(), "idle timeouts (head timeouts: " + gateway.listener().connections().headTimeouts() + ")");
        assertTrue(traces.isEmpty(), "no stack trace in the log: " + traces);
    }

    @Test
    void connectionCloseClosesTheConnectionAfterTheAnswer() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String all = readToEnd(s);
            assertTrue(all.startsWith("HTTP/1.1 200"), all);
        }
        // Closed by the answer, not by a timeout.
        assertEquals(0, gateway.listener().connections().idleTimeouts() + gateway.listener().connections().headTimeouts());
    }

    /** Near the cap a new connection is told why it is refused; health checks still pass; it serves again once others leave. */
    @Test
    void beyondTheSoftCapANewConnectionGetsA503InItsDialectAndIsClosed() throws Exception {
        var policy = PolicyLoader.load(Map.of("p.yaml",
                "providers:\n  - {id: up, kind: openai-compatible, base_url: \"http://127.0.0.1:9/v1\"}\n".getBytes(StandardCharsets.UTF_8)));
        TollgateServer small = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(1)),
                new ConnectionSettings(8, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30)), new PolicyHolder(policy), null,
                Clock.systemUTC(), Telemetry.create(TelemetrySettings.defaults(), null));
        List<Socket> kept = new java.util.ArrayList<>();
        try {
            // As many kept-alive connections as the soft cap: a sixteenth below the hard cap (at least 16).
            int soft = small.listener().cap() - Math.max(1, small.listener().cap() / 16);
            for (int i = 0; i < soft; i++) {
                Socket s = new Socket("127.0.0.1", small.port());
                s.setSoTimeout(20_000);
                kept.add(s);
                s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                byte[] head = new byte[12];
                s.getInputStream().readNBytes(head, 0, head.length);
                assertTrue(new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            }
            await(() -> small.listener().connections().open() == soft, soft + " connections open");
            try (Socket s = new Socket("127.0.0.1", small.port())) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                String all = readToEnd(s); // then the server closes it
                assertTrue(all.startsWith("HTTP/1.1 503"), all);
                assertTrue(all.toLowerCase().contains("retry-after: 1"), all);
                assertTrue(all.contains("\"overloaded_error\"") && all.contains("tollgate.connections.max"), all);
            }
            assertEquals(1, small.listener().connections().refusedOverCap());
            for (Socket s : kept) {
                s.close();
            }
            await(() -> small.listener().connections().open() < soft, "the kept connections gone");
            try (Socket s = new Socket("127.0.0.1", small.port())) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertTrue(readToEnd(s).startsWith("HTTP/1.1 200"));
            }
        } finally {
            for (Socket s : kept) {
                s.close();
            }
            small.close();
        }
    }

    @Test
    void aListenerThatStopsIsStartedAgainOnTheSamePort() throws Exception {
        Listener listener = gateway.listener();
        int port = gateway.port();
        // What Helidon does on an error from accept(): its accept loop ends and the socket closes for good.
        Object server = listener.server();
        Object helidonListener = ((Map<?, ?>) field(server, "listeners")).values().iterator().next();
        ((ServerSocketChannel) field(helidonListener, "serverSocket")).close();

        await(() -> listener.restarts() == 1, "the watchdog started the listener again");
        assertEquals(port, gateway.port());
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(readToEnd(s).startsWith("HTTP/1.1 200"));
        }
        assertTrue(listener.accepting());
    }

    @Test
    void theCapLeavesRoomInTheDescriptorLimit() {
        assertEquals(10_000, Listener.clamp(10_000, java.util.OptionalLong.of(1_048_576), 150));
        assertEquals((1024 - 150 - Listener.RESERVE) / 2, Listener.clamp(10_000, java.util.OptionalLong.of(1024), 150));
        assertEquals(16, Listener.clamp(10_000, java.util.OptionalLong.of(100), 90));
        assertEquals(500, Listener.clamp(500, java.util.OptionalLong.empty(), 150));
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
        s.setSoTimeout(CLIENT_DEADLINE_MS);
        return s;
    }

    /** Everything the server sends until it closes (a reset after the answer counts as the end too). */
    private static String readToEnd(Socket s) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                all.write(buf, 0, n);
            }
        } catch (SocketException reset) {
            all.write("[reset]".getBytes(StandardCharsets.US_ASCII));
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
