package dev.tollgate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;

/** Readiness polling and single sanity requests, before any load. Failures explain themselves. */
final class Probe {

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** Polls {@code url} until it answers 200, failing early when the process has exited. */
    void awaitReady(String what, URI url, long pid, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                throw new BenchFailure(what + " (pid " + pid + ") exited before it was ready; see its log");
            }
            try {
                HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(url)
                        .timeout(Duration.ofSeconds(2)).GET().build(), BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        throw new BenchFailure(what + " not ready after " + timeout.toSeconds() + " s at " + url + " (last: " + last + ")");
    }

    /** Sends one request the way the load will, and insists on a 2xx that looks like a chat completion. */
    void checkChat(String what, URI url, byte[] body, boolean stream, List<String> headers) throws InterruptedException {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofByteArray(body));
        for (String h : headers) {
            int colon = h.indexOf(':');
            b.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        HttpResponse<String> r;
        try {
            r = client.send(b.build(), BodyHandlers.ofString());
        } catch (IOException e) {
            throw new BenchFailure(what + ": POST " + url + " failed: " + e);
        }
        String text = r.body();
        boolean looksRight = stream ? text.contains("data:") : text.contains("\"choices\"");
        if (r.statusCode() / 100 != 2 || !looksRight) {
            throw new BenchFailure(String.format("%s: POST %s (%s) answered HTTP %d: %s", what, url,
                    stream ? "stream" : "non-stream", r.statusCode(), text.length() > 400 ? text.substring(0, 400) + "…" : text));
        }
    }
}
