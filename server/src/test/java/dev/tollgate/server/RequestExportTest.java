package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /admin/requests/export}: metadata of recorded requests as versioned NDJSON, for a viewer too, never content. */
class RequestExportTest {

    private static final String VIEWER = "viewer-secret-for-tests";
    private static final String KEY = "key-secret-for-tests";

    @Test
    void aViewerExportsMetadataOldestFirstWithAVersionOnEveryLineAndAnEndLine(@TempDir Path state) throws Exception {
        try (FakeUpstream up = new FakeUpstream()) {
            String policy = """
                    providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}]
                    models: [{name: fast, targets: [{provider: up, model: fast-upstream}]}]
                    pricing: [{model: fast, input: 1.0, output: 2.0}]
                    customers: [{id: acme}]
                    teams: [{id: infra, customer: acme, capture_content: true}]
                    keys: [{id: alice, team: infra, sha256: %s}]
                    admins: [{id: watcher, role: viewer, sha256: %s}]
                    """.formatted(up.port(), Secrets.sha256(KEY), Secrets.sha256(VIEWER));
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
            Telemetry telemetry = Telemetry.create(TelemetrySettings.defaults(), state);
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, telemetry)) {
                int port = gateway.port();
                up.answer(FakeUpstream.json(200, "{\"id\":\"x\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"SECRET-ANSWER\"}}],"
                        + "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":10}}"));
                for (int i = 0; i < 2; i++) {
                    HttpResponse<String> r = ObservabilityTest.post(port, "/v1/chat/completions",
                            "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"SECRET-PROMPT\"}]}",
                            Map.of("authorization", "Bearer " + KEY));
                    assertEquals(200, r.statusCode(), r.body());
                }
                ObservabilityTest.await("two records", () -> {
                    try {
                        return ObservabilityTest.get(port, "/admin/requests", VIEWER).body().split("\"id\"").length == 3 ? true : null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });

                HttpResponse<String> export = ObservabilityTest.get(port, "/admin/requests/export?since=1h", VIEWER);
                assertEquals(200, export.statusCode(), export.body());
                assertEquals("application/x-ndjson", export.headers().firstValue("content-type").orElse(""));
                assertFalse(export.body().contains("SECRET"), "metadata only, never content: " + export.body());
                List<String> lines = export.body().lines().toList();
                assertEquals(3, lines.size(), export.body());
                ObjectMapper json = new ObjectMapper();
                JsonNode first = json.readTree(lines.get(0));
                JsonNode second = json.readTree(lines.get(1));
                for (String line : lines) {
                    assertEquals(1, json.readTree(line).path("v").asInt(), line);
                }
                assertEquals("alice", first.path("key").asText());
                assertEquals("infra", first.path("team").asText());
                assertEquals("acme", first.path("customer").asText());
                assertEquals("fast", first.path("requested_model").asText());
                assertEquals(100, first.path("input_tokens").asLong());
                assertEquals(10, first.path("output_tokens").asLong());
                assertEquals(0, new java.math.BigDecimal("0.00012").compareTo(new java.math.BigDecimal(first.path("cost_usd").asText())),
                        "an exact decimal string: " + first.path("cost_usd"));
                assertTrue(first.path("time").asText().compareTo(second.path("time").asText()) <= 0, "oldest first");
                assertEquals(true, json.readTree(lines.get(2)).path("end").asBoolean());
                assertEquals(2, json.readTree(lines.get(2)).path("records").asLong());

                assertEquals(401, ObservabilityTest.get(port, "/admin/requests/export", null).statusCode());
                assertEquals(401, ObservabilityTest.get(port, "/admin/requests/export", KEY).statusCode(), "a virtual key is no admin");
                HttpResponse<String> bad = ObservabilityTest.get(port, "/admin/requests/export?since=yesterday", VIEWER);
                assertEquals(400, bad.statusCode());
                assertTrue(bad.body().contains("since"), bad.body());
                assertEquals(2, ObservabilityTest.get(port, "/admin/requests/export", VIEWER).body().lines().count() - 1,
                        "the default window (7 days) holds both");

                // tollgate replay reads the gateway itself with the viewer's token
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
                int exit = dev.tollgate.server.replay.ReplayCommand.run(snapshot, "NEW", null, null, "http://127.0.0.1:" + port, VIEWER,
                        java.time.Instant.now().minusSeconds(3600), "json", new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                        new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
                assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
                JsonNode report = json.readTree(out.toString(StandardCharsets.UTF_8));
                assertEquals(2, report.path("per").path("key").path("alice").path("requests").asLong(), report.toString());
                assertEquals(true, report.path("input").path("complete").asBoolean());
                assertEquals(0, report.path("total").path("now_refused").asLong(), "the same policy refuses nothing it served");
                assertEquals(1, dev.tollgate.server.replay.ReplayCommand.run(snapshot, "NEW", null, null, "http://127.0.0.1:" + port, KEY,
                        null, "json", new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                        new java.io.PrintStream(err, true, StandardCharsets.UTF_8)), "a virtual key cannot export");
                assertTrue(err.toString(StandardCharsets.UTF_8).contains("HTTP 401"), err.toString(StandardCharsets.UTF_8));
            }
        }
    }
}
