package dev.tollgate.providers.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Provider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The upstream client against a raw-socket server that controls every byte of the answer. */
class UpstreamClientTest {

    private static final Provider.Timeouts TIMEOUTS = new Provider.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5));

    /** Ends a scripted answer: the server closes the connection after writing it. */
    private static final String CLOSE = "<close>";

    /** Answers each request on a connection with the script's bytes; `null` closes the connection instead. */
    static final class RawServer implements AutoCloseable {
        final ServerSocket socket;
        final List<String> requests = new CopyOnWriteArrayList<>();
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        volatile int connections;

        RawServer(Function<Integer, String> script) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        connections++;
                        Thread.ofVirtual().start(() -> serve(s, script));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void serve(Socket s, Function<Integer, String> script) {
            try (s) {
                InputStream in = s.getInputStream();
                while (true) {
                    String request = readRequest(in);
                    if (request == null) {
                        events.add("client-closed");
                        return;
                    }
                    requests.add(request);
                    String answer = script.apply(requests.size());
                    if (answer == null) {
                        return;
                    }
                    boolean thenClose = answer.endsWith(CLOSE);
                    s.getOutputStream().write(answer.replace(CLOSE, "").getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    if (thenClose) {
                        return;
                    }
                }
            } catch (IOException e) {
                events.add("client-closed");
            }
        }

        private static String readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                String text = head.toString(StandardCharsets.ISO_8859_1);
                if (text.endsWith("\r\n\r\n")) {
                    int at = text.toLowerCase().indexOf("content-length: ");
                    int length = Integer.parseInt(text.substring(at + 16, text.indexOf("\r\n", at)).trim());
                    return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
                }
            }
            return null;
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private final UpstreamClient client = new UpstreamClient();
    private RawServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private UpstreamRequest post(String body) {
        return new UpstreamRequest(server.uri("/v1/chat/completions?x=1"), Map.of("authorization", "Bearer k", "x-bad", "a\r\nInjected: yes"),
                body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void sendsOneWellFormedRequestAndReusesTheConnection() throws Exception {
        server = new RawServer(n -> "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"n\":" + n + "0000}");
        for (int i = 1; i <= 3; i++) {
            try (UpstreamResponse r = client.send(post("{\"i\":" + i + "}"), TIMEOUTS)) {
                assertEquals(200, r.status());
                assertEquals("application/json", r.header("content-type").orElseThrow());
                assertEquals("{\"n\":" + i + "0000}", new String(r.readBody(1000), StandardCharsets.UTF_8));
            }
        }
        assertEquals(1, server.connections, "keep-alive: one connection for three exchanges");
        String first = server.requests.getFirst();
        assertTrue(first.startsWith("POST /v1/chat/completions?x=1 HTTP/1.1\r\n"), first);
        assertTrue(first.contains("\r\nauthorization: Bearer k\r\n"), first);
        assertTrue(first.contains("x-bad: a  Injected: yes\r\n"), "a line break in a value cannot add a header: " + first);
        assertTrue(first.endsWith("\r\n\r\n{\"i\":1}"), first);
    }

    @Test
    void decodesChunkedBodiesAndKeepsTheConnection() throws Exception {
        server = new RawServer(n -> "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                + "7;ext=1\r\ndata: a\r\n" + "2\r\n\n\n\r\n" + "0\r\ntrailer: x\r\n\r\n");
        for (int i = 0; i < 2; i++) {
            try (UpstreamResponse r = client.send(post("{}"), TIMEOUTS)) {
                assertEquals("data: a\n\n", new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        assertEquals(1, server.connections);
    }

    @Test
    void readsToTheEndWhenTheAnswerHasNoLength() throws Exception {
        server = new RawServer(n -> "HTTP/1.1 200 OK\r\n\r\nuntil the end " + n + CLOSE);
        for (int i = 1; i <= 2; i++) {
            try (UpstreamResponse r = client.send(post("{}"), TIMEOUTS)) {
                assertEquals("until the end " + i, new String(r.readBody(100), StandardCharsets.UTF_8));
            }
        }
        assertEquals(2, server.connections, "a body ended by closing leaves no connection to reuse");
    }

    @Test
    void retriesOnceOnAPooledConnectionTheServerHadClosed() throws Exception {
        // The first connection answers once, then closes when the second request arrives on it.
        server = new RawServer(n -> n == 2 ? null : "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        try (UpstreamResponse r = client.send(post("{}"), TIMEOUTS)) {
            r.readBody(10);
        }
        try (UpstreamResponse r = client.send(post("{}"), TIMEOUTS)) {
            assertEquals("ok", new String(r.readBody(10), StandardCharsets.UTF_8));
        }
        assertEquals(2, server.connections);
    }

    @Test
    void closingBeforeTheEndDropsTheConnection() throws Exception {
        server = new RawServer(n -> "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
        UpstreamResponse r = client.send(post("{}"), TIMEOUTS);
        assertEquals('p', r.body().read());
        r.close();
        assertEquals("client-closed", server.events.poll(5, TimeUnit.SECONDS), "the upstream sees the exchange abandoned");
    }

    @Test
    void aSilentUpstreamTimesOutAndADeadPortIsAConnectError() throws Exception {
        server = new RawServer(n -> "");
        Provider.Timeouts quick = new Provider.Timeouts(Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(200));
        UpstreamException timeout = assertThrows(UpstreamException.class, () -> client.send(post("{}"), quick));
        assertEquals(UpstreamException.Kind.TIMEOUT, timeout.kind());

        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        UpstreamRequest nowhere = new UpstreamRequest(URI.create("http://127.0.0.1:" + dead + "/v1"), Map.of(), new byte[0]);
        assertEquals(UpstreamException.Kind.CONNECT, assertThrows(UpstreamException.class, () -> client.send(nowhere, TIMEOUTS)).kind());
    }

    @Test
    void aStalledBodyTimesOutBetweenReads() throws Exception {
        server = new RawServer(n -> "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n");
        Provider.Timeouts quick = new Provider.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(200));
        try (UpstreamResponse r = client.send(post("{}"), quick)) {
            byte[] first = r.body().readNBytes(5);
            assertEquals("first", new String(first, StandardCharsets.UTF_8));
            IOException stalled = assertThrows(IOException.class, () -> r.body().read());
            assertTrue(stalled.getMessage().contains("no data from the upstream"), stalled.getMessage());
        }
    }
}
