package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The figure for the Responses WebSocket: the bytes the real Codex uploads over a 10-turn session
 * (nine tool calls, then the answer) by WebSocket and by HTTP, counted on the wire by a proxy between
 * Codex and the gateway (headers, framing and bodies, client to gateway only). Same Codex, same
 * provider table but for {@code supports_websockets}, same session; only the transport differs.
 */
class CodexUploadIT {

    static final int TURNS = 10;
    private static final String PROMPT = "Run the shell command `echo tollgate-tool-ok` once per turn and report what it printed. "
            + "tollgate-tool-turns=" + (TURNS - 1);

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("codex-upload", """
            providers:
              - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
            models:
              - name: gpt-5.5
                targets: [{provider: sim, model: gpt-5.5}]
            admins:
              - {id: ops, role: viewer, sha256: %s}
            customers: [{id: acme}]
            teams:
              - {id: infra, customer: acme}
            keys:
              - {id: dev, team: infra, sha256: %s}
            """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"))).clearingSim(StackExtension.REQUESTS);

    /** A loopback TCP proxy to the gateway that counts what the client sends. */
    static final class CountingProxy implements AutoCloseable {
        final AtomicLong uploaded = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        private final ServerSocket server;
        private final List<Socket> open = new ArrayList<>();

        CountingProxy(int targetPort) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                        synchronized (open) {
                            open.add(client);
                            open.add(target);
                        }
                        connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> pump(client, target, uploaded));
                        Thread.ofVirtual().start(() -> pump(target, client, null));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(Socket from, Socket to, AtomicLong counter) {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (counter != null) {
                        counter.addAndGet(n);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException gone) {
                // either side closed: the other pump ends too
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (open) {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    private static long session(String surface, boolean websocket) throws Exception {
        try (CountingProxy proxy = new CountingProxy(stack.get().gatewayPort)) {
            List<String> config = List.of("-c", "model_provider=\"gw\"", "-c", "model_providers.gw={name=\"gw\",base_url=\"http://127.0.0.1:"
                    + proxy.port() + "/openai\",env_key=\"GW_API_KEY\",wire_api=\"responses\",supports_websockets=" + websocket + "}");
            Cli.Result result = Cli.codexExec(stack.get(), "gpt-5.5", config, Map.of("GW_API_KEY", "tg-dev"), PROMPT);
            assertEquals(0, result.exit(), result.all());
            List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/responses");
            assertEquals(TURNS, calls.size(), "a session of " + TURNS + " turns: " + result.all());
            assertTrue(result.stdout().contains("tollgate-tool-ok"), result.all());
            // The request log is written off the request's thread: the last turn's row may land just after Codex exits.
            List<JsonNode> rows = new ArrayList<>();
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            do {
                rows.clear();
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.get().gateway("/admin/requests?key=dev&limit=" + TURNS)))
                                .header("authorization", "Bearer admin-token").build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body()).path("requests").forEach(rows::add);
            } while (!rows.stream().allMatch(r -> r.path("surface").asText().equals(surface)) && System.nanoTime() < deadline
                    && sleep(50));
            assertTrue(rows.stream().allMatch(r -> r.path("surface").asText().equals(surface)), "all over " + surface + ": " + rows);
            System.out.println("Codex over " + surface + ": " + proxy.connections.get() + " connection(s); first frame or body of the "
                    + "last turn carried client_metadata " + calls.getLast().path("body").path("client_metadata"));
            return proxy.uploaded.get();
        }
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    @Test
    void codexUploadsLessOverTheWebSocket() throws Exception {
        long socket = session("openai-websocket", true);
        stack.get().delete(stack.get().sim(StackExtension.REQUESTS));
        long http = session("openai", false);
        System.out.printf("Codex upload over a %d-turn session: WebSocket %,d bytes, HTTP %,d bytes (%.1f%%)%n", TURNS, socket, http,
                100.0 * socket / http);
        assertTrue(socket < http, "WebSocket " + socket + " bytes against HTTP " + http);
    }
}
