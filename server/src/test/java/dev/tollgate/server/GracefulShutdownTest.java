package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GracefulShutdownTest {

    @Test
    void openStreamsFinishAndNewRequestsAreRefusedRetryably() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            List<String> events = new ArrayList<>(Collections.nCopies(20, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"));
            events.add("data: [DONE]\n\n");
            upstream.answer(upstream.sse(events, 25));
            var policy = PolicyLoader.load(Map.of("p.yaml", ("providers:\n  - {id: up, kind: openai-compatible, base_url: \"http://127.0.0.1:"
                    + upstream.port() + "/v1\"}\n").getBytes(StandardCharsets.UTF_8)));
            TollgateServer gateway = TollgateServer.start(
                    new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(10)), new PolicyHolder(policy));
            HttpClient http = HttpClient.newHttpClient();
            URI chat = URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions");

            HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(chat)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"up/m\",\"stream\":true,\"messages\":[]}")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            assertTrue(lines.readLine().startsWith("data: "), "the stream is open before shutdown starts");

            Thread closer = Thread.ofVirtual().start(gateway::close);
            HttpResponse<String> refused = awaitRefusal(http, chat);
            assertEquals(503, refused.statusCode());
            assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow());
            assertTrue(refused.body().contains("shutting_down"), refused.body());

            StringBuilder rest = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                rest.append(line).append('\n');
            }
            assertTrue(rest.toString().endsWith("data: [DONE]\n\n"), "the open stream finished: " + rest);
            closer.join(Duration.ofSeconds(15));
            assertTrue(!closer.isAlive(), "shutdown completes once the stream is done");
        }
    }

    @Test
    void shutdownDuringAHundredOpenStreamsLetsEveryOneFinishAndRefusesNewRequests() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            List<String> events = new ArrayList<>(Collections.nCopies(10, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"));
            events.add("data: [DONE]\n\n");
            java.util.concurrent.CountDownLatch shutdownStarted = new java.util.concurrent.CountDownLatch(1);
            // Each stream sends its first event, then waits until shutdown has begun before sending the rest.
            upstream.answer((req, res) -> {
                res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/event-stream");
                try (var out = res.outputStream()) {
                    for (int i = 0; i < events.size(); i++) {
                        out.write(events.get(i).getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        if (i == 0) {
                            shutdownStarted.await(20, java.util.concurrent.TimeUnit.SECONDS);
                        }
                    }
                } catch (Exception e) {
                    upstream.signals.add("stream-aborted");
                }
            });
            var policy = PolicyLoader.load(Map.of("p.yaml", ("providers:\n  - {id: up, kind: openai-compatible, base_url: \"http://127.0.0.1:"
                    + upstream.port() + "/v1\"}\n").getBytes(StandardCharsets.UTF_8)));
            TollgateServer gateway = TollgateServer.start(
                    new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(30)), new PolicyHolder(policy));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI chat = URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions");

            List<BufferedReader> streams = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(chat)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"up/m\",\"stream\":true,\"messages\":[]}")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertEquals(200, r.statusCode());
                BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
                assertTrue(lines.readLine().startsWith("data: "), "stream " + i + " is open");
                streams.add(lines);
            }

            Thread closer = Thread.ofVirtual().start(gateway::close);
            URI ready = URI.create("http://127.0.0.1:" + gateway.port() + "/health/ready");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding()).statusCode() != 503
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // readiness flips first, so the request below cannot reach the (held) upstream
            }
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(chat)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"up/m\",\"messages\":[]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow());
            shutdownStarted.countDown();

            for (BufferedReader lines : streams) {
                StringBuilder rest = new StringBuilder();
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    rest.append(line).append('\n');
                }
                assertTrue(rest.toString().endsWith("data: [DONE]\n\n"), "every open stream finished: " + rest);
            }
            closer.join(Duration.ofSeconds(30));
            assertTrue(!closer.isAlive(), "shutdown completes once the streams are done");
            assertTrue(upstream.signals.isEmpty(), "no upstream stream was cut: " + upstream.signals);
        }
    }

    /** Draining begins on another thread; poll until a new request sees it. */
    private static HttpResponse<String> awaitRefusal(HttpClient http, URI chat) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(chat)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"up/m\",\"messages\":[]}")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 503 || System.nanoTime() > deadline) {
                return r;
            }
        }
    }
}
