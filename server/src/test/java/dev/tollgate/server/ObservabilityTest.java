package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recorded traffic through a real gateway: the request log (SQLite, searched through the admin API),
 * the Prometheus metrics and the OpenTelemetry spans received by a local OTLP endpoint.
 */
class ObservabilityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String ADMIN = "admin-secret-for-tests";
    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CLIENT_SPAN = "00f067aa0ba902b7";

    static String policy(int primary, int backup) {
        return """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                  - {id: backup, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - name: fast
                    targets: [{provider: up, model: fast-upstream}]
                  - name: resilient
                    targets: [{provider: up, model: a}]
                    fallbacks: [{provider: backup, model: b}]
                pricing:
                  - {model: fast-upstream, input: 1.0, output: 2.0, cached_input: 0.5}
                  - {model: b, input: 3.0, output: 6.0}
                admins:
                  - {id: ops, role: operator, sha256: %s}
                """.formatted(primary, backup, Secrets.sha256(ADMIN));
    }

    static <T> T await(String what, Supplier<T> probe) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    static HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (token != null) {
            b.header("authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(int port, String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The search answer once it holds {@code n} records. */
    static JsonNode requests(int port, String query, int n) throws Exception {
        return await(n + " records for " + query, () -> {
            try {
                HttpResponse<String> r = get(port, "/admin/requests" + query, ADMIN);
                JsonNode rows = JSON.readTree(r.body()).path("requests");
                return r.statusCode() == 200 && rows.size() == n ? rows : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void recordsLogsMetricsAndSpansOfEachRequest(@TempDir Path state) throws Exception {
        try (FakeUpstream primary = new FakeUpstream(); FakeUpstream backup = new FakeUpstream(); OtlpReceiver otlp = new OtlpReceiver()) {
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(primary.port(), backup.port()).getBytes(StandardCharsets.UTF_8)));
            Telemetry telemetry = Telemetry.create(TelemetrySettings.defaults().withOtel(otlp.endpoint(), 1.0), state);
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, telemetry)) {
                int port = gateway.port();

                // 1. A streamed chat from Codex, inside the client's own trace.
                primary.answer(primary.sse(List.of(
                        "data: {\"choices\":[{\"delta\":{\"content\":\"SECRET-ANSWER\"}}]}\n\n",
                        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":5,"
                                + "\"prompt_tokens_details\":{\"cached_tokens\":10},\"completion_tokens_details\":{\"reasoning_tokens\":2}}}\n\n",
                        "data: [DONE]\n\n"), 0));
                HttpResponse<String> streamed = post(port, "/v1/chat/completions",
                        "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"SECRET-PROMPT\"}]}",
                        Map.of("user-agent", "codex_exec/0.169.0 (Debian 12; x86_64) xterm",
                                "traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01"));
                assertEquals(200, streamed.statusCode());
                String id = streamed.headers().firstValue(Telemetry.REQUEST_ID_HEADER).orElseThrow();
                String upstreamParent = primary.received.getFirst().headers().get("traceparent");
                assertNotNull(upstreamParent, "the trace context goes upstream");
                assertTrue(upstreamParent.startsWith("00-" + TRACE_ID + "-"), upstreamParent);
                assertFalse(upstreamParent.contains(CLIENT_SPAN), "the upstream's parent is the gateway's client span");

                // 2. A fallback: the primary is overloaded, the backup answers.
                primary.answer(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
                backup.answer(FakeUpstream.json(200, "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":10}}"));
                assertEquals(200, post(port, "/v1/chat/completions", "{\"model\":\"resilient\",\"messages\":[]}", Map.of()).statusCode());

                // 3. A model nobody declared: refused, and never a metric label.
                assertEquals(404, post(port, "/v1/chat/completions", "{\"model\":\"made-up-model-9\",\"messages\":[]}", Map.of()).statusCode());

                JsonNode all = requests(port, "", 3);
                JsonNode fast = requests(port, "?model=fast", 1).get(0);
                assertEquals(id, fast.path("id").asText());
                assertEquals("openai", fast.path("surface").asText());
                assertEquals("codex_exec/0.169.0", fast.path("client").asText());
                assertEquals("up", fast.path("provider").asText());
                assertEquals("fast-upstream", fast.path("model").asText());
                assertEquals(200, fast.path("status").asInt());
                assertTrue(fast.path("stream").asBoolean());
                assertEquals(40, fast.path("tokens").path("input").asInt());
                assertEquals(5, fast.path("tokens").path("output").asInt());
                assertEquals(10, fast.path("tokens").path("cached").asInt());
                assertEquals(2, fast.path("tokens").path("reasoning").asInt());
                // (40 - 10) x $1 + 10 x $0.5 + 5 x $2, per million tokens
                assertEquals(0, new BigDecimal("0.000045").compareTo(new BigDecimal(fast.path("cost_usd").asText())), fast.toString());
                assertTrue(fast.path("ttft_ms").isNumber(), fast.toString());
                assertTrue(fast.path("latency_ms").asDouble() >= fast.path("ttft_ms").asDouble());
                assertEquals(snapshot.version(), fast.path("policy_commit").asText());
                assertEquals(TRACE_ID, fast.path("trace_id").asText());
                assertTrue(fast.path("key").isNull(), "no key until the gate authenticates callers");

                JsonNode resilient = requests(port, "?model=resilient", 1).get(0);
                assertEquals("backup", resilient.path("provider").asText());
                assertEquals(2, resilient.path("attempts").size());
                assertEquals("http_503", resilient.path("attempts").get(0).path("outcome").asText());
                assertEquals("ok", resilient.path("attempts").get(1).path("outcome").asText());

                JsonNode missing = requests(port, "?status=4xx", 1).get(0);
                assertEquals("made-up-model-9", missing.path("requested_model").asText());
                assertEquals(404, missing.path("status").asInt());
                assertEquals("model_not_found", missing.path("error_type").asText());
                assertEquals(1, requests(port, "?status=error", 1).size());
                assertEquals(3, requests(port, "?since=1h", 3).size());
                assertEquals(0, requests(port, "?since=" + Instant.now().plusSeconds(3600), 0).size());
                assertEquals(401, get(port, "/admin/requests", null).statusCode());
                assertEquals(400, get(port, "/admin/requests?since=yesterday", ADMIN).statusCode());
                assertEquals(3, all.size());

                String metrics = get(port, "/metrics", ADMIN).body(); // an admin token scrapes too
                String fastLabels = "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"openai\",gen_ai_request_model=\"fast\","
                        + "gen_ai_response_model=\"fast-upstream\"";
                assertTrue(metrics.contains("gen_ai_client_token_usage_sum{" + fastLabels + ",gen_ai_token_type=\"input\"} 40"), metrics);
                assertTrue(metrics.contains("gen_ai_client_token_usage_sum{" + fastLabels + ",gen_ai_token_type=\"output\"} 5"), metrics);
                assertTrue(metrics.contains("gen_ai_server_request_duration_seconds_count{error_type=\"none\"," + fastLabels + "} 1"), metrics);
                assertTrue(metrics.contains("gen_ai_server_time_to_first_token_seconds_count{" + fastLabels + "} 1"), metrics);
                assertTrue(metrics.contains("gen_ai_server_time_per_output_token_seconds_count{" + fastLabels + "} 1"), metrics);
                assertTrue(metrics.contains("tollgate_requests_total{error_type=\"model_not_found\",status=\"404\",surface=\"openai\"} 1.0"), metrics);
                assertTrue(metrics.contains("tollgate_fallbacks_total{gen_ai_request_model=\"resilient\"} 1.0"), metrics);
                assertTrue(metrics.contains("tollgate_upstream_attempts_total{outcome=\"http_503\",provider=\"up\"} 1.0"), metrics);
                assertTrue(metrics.contains("tollgate_cost_usd_total{gen_ai_request_model=\"fast\",key=\"none\",team=\"none\"} 4.5E-5"), metrics);
                assertTrue(metrics.contains("tollgate_overhead_seconds_count{surface=\"openai\"} 3"), metrics);
                assertTrue(metrics.contains("gen_ai_request_model=\"other\""), metrics);
                assertFalse(metrics.contains("made-up-model-9"), "raw input never becomes a label");
                assertTrue(metrics.contains("tollgate_request_log_dropped_total 0.0"), metrics);

                telemetry.tracing().flush();
                Span server = await("the server span", () -> otlp.spans.stream()
                        .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER && hex(s.getTraceId().toByteArray()).equals(TRACE_ID))
                        .findFirst().orElse(null));
                assertEquals("chat fast", server.getName());
                assertEquals(CLIENT_SPAN, hex(server.getParentSpanId().toByteArray()), "the client's traceparent is the parent");
                assertEquals("fast", attr(server, "gen_ai.request.model"));
                assertEquals(id, attr(server, "tollgate.request.id"));
                Span client = await("the client span", () -> otlp.spans.stream()
                        .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT && hex(s.getTraceId().toByteArray()).equals(TRACE_ID))
                        .findFirst().orElse(null));
                assertEquals(server.getSpanId(), client.getParentSpanId());
                assertEquals("chat fast-upstream", client.getName());
                assertEquals("openai", attr(client, "gen_ai.provider.name"));
                assertEquals("fast-upstream", attr(client, "gen_ai.response.model"));
                assertEquals("40", attr(client, "gen_ai.usage.input_tokens"));
                assertTrue(upstreamParent.contains(hex(client.getSpanId().toByteArray())), "the upstream saw the client span");
                // The fallback: one client span per attempt, the failed one marked.
                List<Span> attempts = await("two attempt spans", () -> {
                    List<Span> found = otlp.spans.stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT
                            && !hex(s.getTraceId().toByteArray()).equals(TRACE_ID)).toList();
                    return found.size() == 2 ? found : null;
                });
                assertTrue(attempts.stream().anyMatch(s -> "http_503".equals(attr(s, "error.type"))), attempts.toString());
            }
            // Nothing of the prompt or the answer reached the store.
            try (Stream<Path> files = Files.list(state)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("requests.db")).toList()) {
                    String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    assertFalse(bytes.contains("SECRET-PROMPT") || bytes.contains("SECRET-ANSWER"), f.toString());
                }
            }
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static String attr(Span span, String key) {
        Optional<KeyValue> kv = span.getAttributesList().stream().filter(a -> a.getKey().equals(key)).findFirst();
        return kv.map(a -> a.getValue().hasIntValue() ? Long.toString(a.getValue().getIntValue()) : a.getValue().getStringValue()).orElse(null);
    }

    @Test
    void withTracingOffTheClientsTraceparentStillReachesTheUpstream(@TempDir Path state) throws Exception {
        try (FakeUpstream primary = new FakeUpstream()) {
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(primary.port(), primary.port()).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
                primary.answer(FakeUpstream.json(200, "{}"));
                String parent = "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01";
                post(gateway.port(), "/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[]}", Map.of("traceparent", parent));
                assertEquals(parent, primary.received.getFirst().headers().get("traceparent"));
                primary.received.clear();
                post(gateway.port(), "/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[]}", Map.of());
                assertFalse(primary.received.getFirst().headers().containsKey("traceparent"), "no trace, no header");
                assertNotEquals(null, requests(gateway.port(), "", 2));
            }
        }
    }
}
