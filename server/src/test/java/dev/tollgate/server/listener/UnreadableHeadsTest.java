package dev.tollgate.server.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.TollgateServer;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnectionSelector.Support;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request heads Helidon's HTTP/1.1 selector does not claim (bare LF line ends, HTTP/1.0, junk after the
 * version, a request line longer than the prologue limit) get one 400 or 414 in the path's dialect
 * instead of a closed connection; well-formed HTTP/1.1 is never taken from HTTP/1.1.
 */
class UnreadableHeadsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<LogRecord> LOGGED = new CopyOnWriteArrayList<>();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue() || r.getThrown() != null) {
                LOGGED.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static TollgateServer gateway;

    @BeforeAll
    static void start() throws Exception {
        var policy = PolicyLoader.load(Map.of("p.yaml",
                "providers:\n  - {id: up, kind: openai-compatible, base_url: \"http://127.0.0.1:9/v1\"}\n".getBytes(StandardCharsets.UTF_8)));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(1)),
                new PolicyHolder(policy));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        Logger.getLogger("").removeHandler(CAPTURE);
    }

    @BeforeEach
    void capture() {
        Logger.getLogger("").removeHandler(CAPTURE);
        Logger.getLogger("").addHandler(CAPTURE);
        LOGGED.clear();
    }

    // ---- the selector's decision, against Helidon's own HTTP/1.1 selector ----

    @Test
    void claimsExactlyWhatHttp11DoesNotAndNeverAWellFormedRequestLine() {
        Http1Config http1 = Http1Config.create();
        Http1ConnectionSelector helidon = Http1ConnectionSelector.builder().config(http1).build();
        UnreadableHeads fallback = new UnreadableHeads(http1.maxPrologueLength());
        List<String> heads = new ArrayList<>(List.of(
                "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /anthropic/v1/messages HTTP/1.1\r\n",
                "GET  /v1/models HTTP/1.1\r\n", // Helidon's parser answers this one itself
                "P\u0000ST /v1/models HTTP/1.1\r\n",
                "G", "GET /v1/mod", "GET /v1/models HTTP/1.1", "GET /v1/models HTTP/1.1\r", "",
                "POST /genai/v1beta/models HTTP/1.1\nHost: x\n\n",
                "GET /v1/models HTTP/1.0\r\nHost: x\r\n\r\n",
                "GET /v1/models HTTP/1.1 x\r\n",
                "GET /v1/models HTTP/1.1\t\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "\r\n",
                "\n",
                "GET /v1/models/" + "a".repeat(http1.maxPrologueLength() - 16),
                "GET /v1/models/" + "a".repeat(http1.maxPrologueLength()),
                "GET /v1/models/" + "a".repeat(20_000) + " HTTP/1.1\r\n"));
        for (String head : heads) {
            Support theirs = helidon.supports(buffer(head));
            BufferData mine = buffer(head);
            Support ours = fallback.supports(mine);
            String what = head.length() > 60 ? head.substring(0, 60) + "..." : head;
            assertEquals(head.length(), mine.available(), "the buffer is left as it was: " + what);
            if (theirs == Support.SUPPORTED) {
                assertNotEquals(Support.SUPPORTED, ours, "never takes what HTTP/1.1 claims: " + what);
            } else {
                assertEquals(Support.SUPPORTED, ours, "claims what HTTP/1.1 refuses: " + what);
            }
        }
    }

    @Test
    void aSelectorDecisionLeavesTheBufferWhereItWas() {
        BufferData data = buffer("GET /v1/models HTTP/1.0\r\n\r\n");
        new UnreadableHeads(4096).supports(data);
        assertEquals(27, data.available());
        assertEquals('G', data.get(0));
    }

    /**
     * Helidon's HTTP/2 selector decides only once more than the preface is in: a preface that came alone is left to it
     * while h2c is served, and refused with a 505 that names the setting when it is not.
     */
    @Test
    void anHttp2PrefaceIsLeftToHttp2OrRefusedNamingTheSetting() {
        String preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        assertEquals(Support.UNKNOWN, new UnreadableHeads(4096, true).supports(buffer(preface)));
        assertEquals(Support.SUPPORTED, new UnreadableHeads(4096, false).supports(buffer(preface)));
        UnreadableHeads.Verdict v = UnreadableHeads.verdict(preface.getBytes(StandardCharsets.US_ASCII), 4096);
        assertEquals(505, v.error().status());
        assertTrue(v.error().message().contains("tollgate.http2"), v.error().message());
    }

    @Test
    void theDialectOfARawPathIsThatOfTheRouteHelidonResolvesItTo() {
        assertEquals(dev.tollgate.providers.Api.CHAT_COMPLETIONS, Dialect.ofRawPath("/v1beta/models/../../v1/chat/completions?x="));
        assertEquals(dev.tollgate.providers.Api.GEMINI, Dialect.ofRawPath("/genai/v1beta/models/x:generateContent?next=/anthropic"));
        assertEquals(dev.tollgate.providers.Api.MESSAGES, Dialect.ofRawPath("/%61nthropic/v1/messages"));
        assertEquals(dev.tollgate.providers.Api.MESSAGES, Dialect.ofRawPath("/v1/./../anthropic/v1/messages"));
        assertEquals(dev.tollgate.providers.Api.GEMINI, Dialect.ofRawPath("/v1beta/models/%zz"), "not a URI: the path as written");
    }

    @Test
    void anEarlyRefusalOnADotSegmentPathIsInTheDialectOfTheResolvedPath() throws Exception {
        Answer a = raw(("POST /v1beta/models/../../anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: a\u0001b\r\nContent-Length: 2\r\n\r\n{}")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(400, a.status(), a.head() + a.body());
        assertEquals("error", JSON.readTree(a.body()).path("type").asText(), "Anthropic's shape, like the route's own answers: " + a.body());
    }

    // ---- what a client gets, from a real gateway over a raw socket ----

    @Test
    void bareLineFeedsGetA400InThePathsDialectThatAsksForCrlf() throws Exception {
        Answer a = raw("POST /genai/v1beta/models HTTP/1.1\nHost: x\n\n".getBytes(StandardCharsets.ISO_8859_1));
        assertGoogle(a, 400, "CRLF");
        assertTrue(a.head().toLowerCase(Locale.ROOT).contains("connection: close"), a.head());
        assertQuietLog();
    }

    @Test
    void http10GetsA400AskingForHttp11() throws Exception {
        Answer a = raw("POST /anthropic/v1/messages HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(400, a.status(), a.head() + a.body());
        JsonNode root = JSON.readTree(a.body());
        assertEquals("error", root.path("type").asText(), "Anthropic's shape: " + a.body());
        assertTrue(root.path("error").path("message").asText().contains("HTTP/1.1"), a.body());
        assertQuietLog();
    }

    @Test
    void junkAfterTheVersionGetsA400() throws Exception {
        for (String line : List.of("GET /v1/models HTTP/1.1 x", "GET /v1/models HTTP/1.1\t", "GET /v1/models HTTP/1.1 ")) {
            Answer a = raw((line + "\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertOpenAi(a, 400, "HTTP/1.1");
        }
        assertQuietLog();
    }

    @Test
    void aTabOrANulInTheRequestLineIsA400ThatDoesNotCallItselfAnInternalError() throws Exception {
        // These end in " HTTP/1.1": Helidon's own parser refuses them (its message is "Internal error").
        for (String line : List.of("GET\t/v1/models HTTP/1.1", "P\u0000ST /v1/models HTTP/1.1")) {
            Answer a = raw((line + "\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertOpenAi(a, 400, "HTTP/1.1");
            assertTrue(!a.body().contains("Internal error"), a.body());
        }
    }

    @Test
    void aRequestLineLongerThanTheLimitGetsA414InThePathsDialect() throws Exception {
        String model = "m".repeat(20_000);
        Answer a = raw(("POST /v1beta/models/" + model + ":generateContent HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertGoogle(a, 414, "256");
        Answer b = raw(("GET /anthropic/v1/models/" + model + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(414, b.status(), b.head() + b.body());
        assertEquals("error", JSON.readTree(b.body()).path("type").asText(), "Anthropic's shape: " + b.body());
        assertQuietLog();
    }

    @Test
    void aLongRequestLineWithALargeBodyBehindItStillGetsItsAnswer() throws Exception {
        // The rest of the request is read and dropped, never held. (On loopback the answer also survives a close
        // without that drain; it matters where a reset can overtake the answer on the wire.)
        byte[] body = ("{\"x\":\"" + "y".repeat(300_000) + "\"}").getBytes(StandardCharsets.US_ASCII);
        byte[] head = ("POST /v1/chat/" + "c".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        assertOpenAi(raw(all), 414, "256");
    }

    @Test
    void wellFormedRequestsAreStillServedAlsoWhenTheRequestLineArrivesInPieces() throws Exception {
        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            // The first read sees no line end yet: HTTP/1.1 must keep it.
            out.write("GET /health/li".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(50); // not a timing assertion: only makes a split read likely; the test passes either way round
            out.write("ve HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Answer a = read(s);
            assertEquals(200, a.status(), a.head() + a.body());
        }
        assertEquals(200, raw("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).status());
    }

    // ---- helpers ----

    record Answer(int status, String head, String body) {
    }

    private static BufferData buffer(String s) {
        return BufferData.create(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Writes the request, half-closes (a client waiting for its answer), reads the answer to the end. */
    private static Answer raw(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request);
                s.shutdownOutput();
            } catch (SocketException answeredEarly) {
                // read what came back
            }
            return read(s);
        }
    }

    private static Answer read(Socket s) throws IOException {
        byte[] all = s.getInputStream().readAllBytes(); // throws on a reset: the answer must survive the close
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        assertTrue(text.startsWith("HTTP/1.1 ") && end > 0, "an HTTP/1.1 answer: " + text);
        return new Answer(Integer.parseInt(text.substring(9, 12)), text.substring(0, end),
                new String(all, end + 4, all.length - end - 4, StandardCharsets.UTF_8));
    }

    private static void assertOpenAi(Answer a, int status, String messageContains) throws IOException {
        assertEquals(status, a.status(), a.head() + a.body());
        JsonNode e = JSON.readTree(a.body()).path("error");
        assertTrue(e.path("message").asText().contains(messageContains), a.body());
        assertTrue(e.path("type").isTextual() && e.has("code"), "OpenAI's shape: " + a.body());
    }

    private static void assertGoogle(Answer a, int status, String messageContains) throws IOException {
        assertEquals(status, a.status(), a.head() + a.body());
        JsonNode e = JSON.readTree(a.body()).path("error");
        assertEquals(status, e.path("code").asInt(), "Google's shape: " + a.body());
        assertTrue(e.path("status").isTextual(), a.body());
        assertTrue(e.path("message").asText().contains(messageContains), a.body());
    }

    private static void assertQuietLog() {
        for (LogRecord r : LOGGED) {
            assertTrue(false, "logged: " + r.getLoggerName() + " " + r.getMessage() + " " + r.getThrown());
        }
    }
}
