package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code /_sim/*}: what tests use to inspect requests and queue faults. Not recorded. */
final class SimControl {
    private final RequestLog log;
    private final FaultQueue faults;
    private final PromptCache cache;

    SimControl(RequestLog log, FaultQueue faults, PromptCache cache) {
        this.log = log;
        this.faults = faults;
        this.cache = cache;
    }

    void register(HttpRouting.Builder r) {
        r.get("/_sim/health", (req, res) -> res.send("ok"));
        r.get("/_sim/requests", (req, res) -> ModelCalls.sendJson(res, log::writeJson));
        r.delete("/_sim/requests", (req, res) -> {
            int n = log.clear();
            cache.clear(); // a fresh slate per test: a warm cache would change the next test's usage
            ModelCalls.sendJson(res, g -> {
                g.writeStartObject();
                g.writeNumberField("cleared", n);
                g.writeEndObject();
            });
        });
        // An OTLP/HTTP traces sink for the benchmark's tracing case: takes the export and discards it.
        r.post("/_sim/otlp/v1/traces", (req, res) -> {
            req.content().inputStream().transferTo(java.io.OutputStream.nullOutputStream());
            res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/x-protobuf");
            res.send(new byte[0]);
        });
        r.get("/_sim/faults", (req, res) -> ModelCalls.sendJson(res, faults::writeJson));
        r.post("/_sim/faults", this::queueFaults);
        r.post("/_sim/faults/release", (req, res) -> {
            int n = faults.release();
            ModelCalls.sendJson(res, g -> {
                g.writeStartObject();
                g.writeNumberField("released", n);
                g.writeEndObject();
            });
        });
        r.delete("/_sim/faults", (req, res) -> {
            faults.clear();
            ModelCalls.sendJson(res, faults::writeJson);
        });
    }

    private void queueFaults(ServerRequest req, ServerResponse res) throws IOException {
        int n;
        try {
            JsonNode body = Json.parse(req.content().inputStream().readAllBytes());
            n = faults.addAll(body == null ? null : body.get("faults"));
        } catch (IOException | IllegalArgumentException e) {
            res.status(Status.BAD_REQUEST_400);
            String msg = e.getMessage();
            ModelCalls.sendJson(res, g -> {
                g.writeStartObject();
                g.writeStringField("error", msg);
                g.writeEndObject();
            });
            return;
        }
        ModelCalls.sendJson(res, g -> {
            g.writeStartObject();
            g.writeNumberField("queued", n);
            g.writeEndObject();
        });
    }
}
