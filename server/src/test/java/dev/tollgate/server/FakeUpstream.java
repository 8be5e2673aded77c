package dev.tollgate.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/** A scriptable upstream on 127.0.0.1 that records what it received. */
final class FakeUpstream implements AutoCloseable {

    record Received(String path, String query, Map<String, String> headers, String body) {
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    /** Events from handlers, e.g. "stream-aborted" when the gateway hung up on a stream. */
    final BlockingQueue<String> signals = new LinkedBlockingQueue<>();
    private volatile BiConsumer<ServerRequest, ServerResponse> handler = (req, res) -> res.send("{}");
    private final WebServer server;

    FakeUpstream() {
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .connectionOptions(o -> o.tcpNoDelay(true))
                .routing(r -> r.any((req, res) -> {
                    byte[] body = req.content().as(byte[].class);
                    Map<String, String> headers = new java.util.HashMap<>();
                    req.headers().forEach(h -> headers.put(h.name().toLowerCase(), h.get()));
                    received.add(new Received(req.path().path(), req.query().rawValue(), headers, new String(body, StandardCharsets.UTF_8)));
                    handler.accept(req, res);
                }))
                .build()
                .start();
    }

    int port() {
        return server.port();
    }

    void answer(BiConsumer<ServerRequest, ServerResponse> handler) {
        this.handler = handler;
    }

    static BiConsumer<ServerRequest, ServerResponse> json(int status, String body) {
        return (req, res) -> {
            res.status(Status.create(status));
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(body);
        };
    }

    /** Writes the events one by one, flushing each, optionally pausing between them. */
    BiConsumer<ServerRequest, ServerResponse> sse(List<String> events, long pauseMillis) {
        return (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            try (OutputStream out = res.outputStream()) {
                for (String e : events) {
                    out.write(e.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    if (pauseMillis > 0) {
                        Thread.sleep(pauseMillis);
                    }
                }
            } catch (IOException | RuntimeException e) {
                signals.add("stream-aborted");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    String nextSignal(long seconds) throws InterruptedException {
        return signals.poll(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        server.stop();
    }
}
