package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.http.HeaderNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tollgate serve} as its own process, stopped by SIGTERM as `make run`, systemd or Kubernetes stop it: the
 * shutdown hook in {@code Main} drains (an open stream finishes), logs that it drains and when it stopped, and the
 * process ends.
 */
class MainSignalTest {

    @Test
    void sigtermDrainsAnOpenStreamLogsDrainingAndStoppedAndExits(@TempDir Path dir) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeUpstream upstream = new FakeUpstream()) {
            // One event, then the stream waits until the test has seen the gateway say it drains.
            upstream.answer((req, res) -> {
                res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                try (OutputStream out = res.outputStream()) {
                    out.write("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    release.await(30, TimeUnit.SECONDS);
                    out.write("data: {\"choices\":[{\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
                            .getBytes(StandardCharsets.UTF_8));
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Path policy = Files.createDirectories(dir.resolve("policy"));
            Files.writeString(policy.resolve("p.yaml"), "providers:\n  - {id: up, kind: openai-compatible, base_url: \"http://127.0.0.1:"
                    + upstream.port() + "/v1\"}\n");
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process gateway = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
                    "--port", "0", "--policy", policy.toString(), "--state-dir", dir.resolve("state").toString(),
                    "--shutdown-grace", "30", "--request-log", "false")
                    .start();
            try {
                BlockingQueue<String> stderr = new LinkedBlockingQueue<>();
                Thread.ofVirtual().start(() -> new BufferedReader(new InputStreamReader(gateway.getErrorStream(), StandardCharsets.UTF_8))
                        .lines().forEach(stderr::add));
                BufferedReader stdout = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
                String listening = stdout.readLine();
                Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(listening));
                assertTrue(m.find(), "first line: " + listening + "\n" + String.join("\n", stderr));
                int port = Integer.parseInt(m.group(1));

                HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"up/m\",\"stream\":true,\"messages\":[]}")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
                assertTrue(events.readLine().startsWith("data: "), "the stream is open before the signal");

                // SIGTERM through the handle: Process.destroy() would also close our ends of its stdout and stderr.
                gateway.toHandle().destroy();
                String draining = awaitLine(stderr, "draining");
                assertTrue(draining.contains("draining: 1 requests in flight may finish within 30 s"), draining);
                release.countDown();

                StringBuilder rest = new StringBuilder();
                for (String line = events.readLine(); line != null; line = events.readLine()) {
                    rest.append(line).append('\n');
                }
                assertTrue(rest.toString().endsWith("data: [DONE]\n\n"), "the open stream finished: " + rest);
                assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "the process ends");
                assertEquals(143, gateway.exitValue(), "128 + SIGTERM, as the JVM exits on the signal");
                assertTrue(awaitLine(stderr, "stopped after").contains("INFO dev.tollgate.server.Main: stopped after "));
                assertFalse(listens(port), "nothing listens on the port any more");
            } finally {
                release.countDown();
                gateway.destroyForcibly();
            }
        }
    }

    private static String awaitLine(BlockingQueue<String> lines, String containing) throws InterruptedException {
        List<String> seen = new java.util.ArrayList<>();
        for (String line = lines.poll(30, TimeUnit.SECONDS); line != null; line = lines.poll(30, TimeUnit.SECONDS)) {
            if (line.contains(containing)) {
                return line;
            }
            seen.add(line);
        }
        throw new AssertionError("no line with '" + containing + "' on stderr; seen:\n" + String.join("\n", seen));
    }

    private static boolean listens(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
