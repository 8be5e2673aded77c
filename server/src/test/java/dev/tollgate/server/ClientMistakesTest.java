package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.surface.Failures;
import io.helidon.webserver.WebServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Client mistakes at the HTTP level (framing, headers, encodings) and at the API level are 4xx answers
 * in the dialect of the path called, and leave neither a stack trace nor request content in the log.
 */
class ClientMistakesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "SECRETPROMPT-7f3a";
    private static final List<LogRecord> LOGGED = new CopyOnWriteArrayList<>();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord r) {
            LOGGED.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static FakeUpstream upstream;
    private static TollgateServer gateway;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeUpstream();
        String policy = """
                providers:
                  - {id: anth, kind: anthropic, base_url: "http://127.0.0.1:%1$d/v1", credential: "env:PATH"}
                  - {id: gem, kind: gemini, base_url: "http://127.0.0.1:%1$d/v1beta", credential: "env:PATH"}
                  - {id: oai, kind: openai, base_url: "http://127.0.0.1:%1$d/v1", credential: "env:PATH"}
                models:
                  - name: claude
                    targets: [{provider: anth, model: claude-x}]
                  - name: gem
                    targets: [{provider: gem, model: gemini-x}]
                  - name: gpt
                    targets: [{provider: oai, model: gpt-x}]
                """.formatted(upstream.port());
        var snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(5)),
                new PolicyHolder(snapshot));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
        Logger.getLogger("").removeHandler(CAPTURE);
    }

    @BeforeEach
    void reset() {
        upstream.received.clear();
        capture();
    }

    /** (Re)installs the log capture: a server's start may re-read logging.properties, which drops handlers. */
    private static void capture() {
        Logger.getLogger("").removeHandler(CAPTURE);
        Logger.getLogger("").addHandler(CAPTURE);
        LOGGED.clear();
    }

    /** An HTTP answer read off a raw socket. */
    record Answer(int status, String head, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /** Sends the bytes as they are, then half-closes (the client waits for the answer) and reads it. */
    static Answer raw(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            s.shutdownOutput();
            return read(s.getInputStream());
        }
    }

    static Answer raw(int port, String request) throws IOException {
        return raw(port, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one response: the head, then Content-Length bytes (or to the end). */
    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        String headText = head.toString(StandardCharsets.ISO_8859_1);
        if (headText.isEmpty()) {
            return new Answer(-1, "", "");
        }
        int status = Integer.parseInt(headText.substring(9, 12));
        long length = -1;
        for (String line : headText.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        byte[] body = length >= 0 ? in.readNBytes((int) length) : in.readAllBytes();
        return new Answer(status, headText, new String(body, StandardCharsets.UTF_8));
    }

    private static Answer raw(String request) throws IOException {
        return raw(gateway.port(), request);
    }

    private static void assertOpenAi(Answer a, int status, String messageContains) throws IOException {
        assertEquals(status, a.status(), a.head() + a.body());
        JsonNode e = a.json().path("error");
        assertTrue(e.path("message").asText().contains(messageContains), a.body());
        assertTrue(e.has("type") && e.has("code"), "OpenAI's shape: " + a.body());
    }

    private static void assertAnthropic(Answer a, int status, String messageContains) throws IOException {
        assertEquals(status, a.status(), a.head() + a.body());
        JsonNode root = a.json();
        assertEquals("error", root.path("type").asText(), "Anthropic's shape: " + a.body());
        assertTrue(root.path("error").path("type").isTextual(), a.body());
        assertTrue(root.path("error").path("message").asText().contains(messageContains), a.body());
    }

    private static void assertGoogle(Answer a, int status, String messageContains) throws IOException {
        assertEquals(status, a.status(), a.head() + a.body());
        JsonNode e = a.json().path("error");
        assertEquals(status, e.path("code").asInt(), "Google's shape: " + a.body());
        assertTrue(e.path("status").isTextual(), a.body());
        assertTrue(e.path("message").asText().contains(messageContains), a.body());
    }

    /** No stack trace, no request content, and at most one line about the request. */
    private static void assertQuietLog() {
        for (LogRecord r : LOGGED) {
            String text = String.valueOf(r.getMessage()) + (r.getParameters() == null ? "" : List.of(r.getParameters()));
            assertTrue(r.getThrown() == null, "a stack trace was logged: " + r.getLoggerName() + " " + text + " " + r.getThrown());
            assertFalse(text.contains(SECRET), "request content in the log: " + text);
            assertFalse(text.contains("\n"), "one line: " + text);
        }
    }

    private static String prompt() {
        return "{\"model\":\"claude\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + SECRET + "\"}]}";
    }

    @Test
    void aChunkedBodyWithoutChunkFramingIsA400InAnthropicsShapeAndNeverLogsThePrompt() throws Exception {
        Answer a = raw("POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + prompt() + "\r\n\r\n");
        assertAnthropic(a, 400, "chunk");
        assertTrue(upstream.received.isEmpty());
        assertQuietLog();
    }

    @Test
    void aBadTerminatingChunkIsA400InGooglesShape() throws Exception {
        Answer a = raw("POST /genai/v1beta/models/gem:generateContent HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\n{}\r\n0\r\nnot-a-trailer-end");
        assertGoogle(a, 400, "chunk");
        assertQuietLog();
    }

    @Test
    void aBodyShorterThanItsContentLengthIsA400InGooglesShape() throws Exception {
        Answer a = raw("POST /genai/v1beta/models/gem:generateContent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                + "{\"contents\":[{\"parts\":[{\"text\":\"" + SECRET + "\"}]}]}");
        assertGoogle(a, 400, "Content-Length");
        assertTrue(upstream.received.isEmpty());
        assertQuietLog();
    }

    @Test
    void aGzippedBodyIsRefusedWith415InTheDialect() throws Exception {
        Answer a = raw("POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc");
        assertAnthropic(a, 415, "Content-Encoding");
        Answer g = raw("POST /v1beta/models/gem:generateContent HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc");
        assertGoogle(g, 415, "Content-Encoding");
        assertQuietLog();
    }

    @Test
    void aHugeHeaderIsAnsweredWithJsonInTheDialect() throws Exception {
        Answer a = raw("POST /genai/v1beta/models/gem:generateContent HTTP/1.1\r\nHost: x\r\nx-goog-api-key: " + "k".repeat(64 * 1024)
                + "\r\nContent-Length: 2\r\n\r\n{}");
        assertGoogle(a, 431, "header");
        assertQuietLog();
    }

    @Test
    void fiveThousandHeadersAreAnsweredWithJson() throws Exception {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            headers.append("x-h").append(i).append(": v\r\n");
        }
        Answer a = raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: 2\r\n\r\n{}");
        assertOpenAi(a, 431, "header");
        assertQuietLog();
    }

    @Test
    void controlBytesInAKeyHeaderAreA400InTheDialect() throws Exception {
        Answer a = raw("POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: ab\u0001cd\r\nContent-Length: 2\r\n\r\n{}");
        assertAnthropic(a, 400, "header");
        assertQuietLog();
    }

    @Test
    void aMalformedHeadGetsOpenAisShapeOrTheDialectOfItsPath() throws Exception {
        assertOpenAi(raw("GET /v1/models HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"), 400, "HTTP");
        assertOpenAi(raw("GET /v1/mo dels HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "HTTP");
        assertAnthropic(raw("POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), 400, "HTTP");
        assertGoogle(raw("POST /genai/v1beta/models/gem:generateContent HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"), 400, "HTTP");
        assertOpenAi(raw("GET /v1/models HTTP/1.1\r\n\r\n"), 400, "HTTP");
        assertQuietLog();
    }

    @Test
    void embeddingsOnAModelWhoseProviderCannotEmbedAreA400NamingTheModel() throws Exception {
        for (String model : List.of("claude", "gem")) {
            Answer a = raw("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + ("{\"model\":\"" + model + "\",\"input\":\"hi\"}").length() + "\r\n\r\n{\"model\":\"" + model + "\",\"input\":\"hi\"}");
            assertOpenAi(a, 400, "'" + model + "'");
            assertEquals("invalid_request_error", a.json().path("error").path("type").asText());
        }
        assertTrue(upstream.received.isEmpty());
        assertQuietLog();
    }

    /** A bug (any exception a handler did not expect) is a 500 in the dialect and one log line without its message. */
    @Test
    void anUnexpectedFailureIsA500InTheDialectAndOneLogLineWithoutItsMessage() throws Exception {
        WebServer server = WebServer.builder().host("127.0.0.1").port(0)
                .routing(r -> {
                    r.any("/anthropic/*", (req, res) -> {
                        throw new IllegalStateException("failed on " + SECRET);
                    });
                    Failures.register(r);
                })
                .build().start();
        capture();
        try {
            Answer a = raw(server.port(), "POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nx-tollgate-request-id: req_abc\r\nContent-Length: 2\r\n\r\n{}");
            assertAnthropic(a, 500, "");
            List<LogRecord> lines = LOGGED.stream().filter(r -> r.getLoggerName().startsWith("dev.tollgate")).toList();
            assertEquals(1, lines.size(), lines.toString());
            String line = lines.getFirst().getMessage();
            assertTrue(line.contains("IllegalStateException") && line.contains("ClientMistakesTest"), line);
            assertQuietLog();
        } finally {
            server.stop();
        }
    }
}
