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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prompts and answers reach the request log only for callers whose policy turns capture_content on,
 * streamed answers as the text the client received, and each cut at 64 KiB with a marker.
 */
class ContentCaptureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CAPTURED = "tg-captured-key";
    private static final String PRIVATE = "tg-private-key";

    private static String policy(int port) {
        return """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: fast, targets: [{provider: up, model: fast-up}]}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers:
                  - {id: acme}
                teams:
                  - {id: audited, customer: acme, capture_content: true}
                keys:
                  - {id: watched, team: audited, sha256: %s}
                  - {id: private, team: audited, sha256: %s, capture_content: false}
                """.formatted(port, Secrets.sha256(ObservabilityTest.ADMIN), Secrets.sha256(CAPTURED), Secrets.sha256(PRIVATE));
    }

    private static String chat(String prompt, boolean stream) {
        return "{\"model\":\"fast\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    private static String send(int port, String key, String body) throws Exception {
        HttpResponse<String> r = ObservabilityTest.post(port, "/v1/chat/completions", body, Map.of("authorization", "Bearer " + key));
        assertEquals(200, r.statusCode(), r.body());
        return r.headers().firstValue(Telemetry.REQUEST_ID_HEADER).orElseThrow();
    }

    /** {@code GET /admin/requests/{id}} once the writer has stored it. */
    private static JsonNode record(int port, String id) throws Exception {
        return ObservabilityTest.await("record " + id, () -> {
            try {
                HttpResponse<String> r = ObservabilityTest.get(port, "/admin/requests/" + id, ObservabilityTest.ADMIN);
                return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void capturesPromptAndAnswerOnlyForCallersWhosePolicySaysSo(@TempDir Path state) throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(upstream.port()).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
                int port = gateway.port();

                // A whole answer for the capturing key: the body as the client sent it, the answer as it got it.
                String whole = "{\"id\":\"c1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"WHOLE-ANSWER\"}}],"
                        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}";
                upstream.answer(FakeUpstream.json(200, whole));
                String wholeId = send(port, CAPTURED, chat("WHOLE-PROMPT", false));

                // A stream: its text assembled from the events the client received.
                upstream.answer(upstream.sse(List.of(
                        "data: {\"id\":\"c2\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"STREAMED-\"}}]}\n\n",
                        "data: {\"id\":\"c2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ANSWER\"}}]}\n\n",
                        "data: {\"id\":\"c2\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                        "data: {\"id\":\"c2\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n",
                        "data: [DONE]\n\n"), 0));
                String streamId = send(port, CAPTURED, chat("STREAM-PROMPT", true));

                // A translated stream: Anthropic's events reach the client, and their text is what is kept.
                upstream.answer(upstream.sse(List.of(
                        "data: {\"id\":\"c3\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"TRANSLATED-\"}}]}\n\n",
                        "data: {\"id\":\"c3\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ANSWER\"}}]}\n\n",
                        "data: {\"id\":\"c3\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                        "data: {\"id\":\"c3\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n",
                        "data: [DONE]\n\n"), 0));
                String messages = "{\"model\":\"fast\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"CLAUDE-PROMPT\"}]}";
                HttpResponse<String> claude = ObservabilityTest.post(port, "/anthropic/v1/messages", messages, Map.of("x-api-key", CAPTURED));
                assertEquals(200, claude.statusCode(), claude.body());
                assertTrue(claude.body().contains("event: content_block_delta"), claude.body());
                String translatedId = claude.headers().firstValue(Telemetry.REQUEST_ID_HEADER).orElseThrow();

                // Over the bound: a 100,000-character prompt and answer.
                String big = "x".repeat(100_000);
                upstream.answer(FakeUpstream.json(200, "{\"choices\":[{\"message\":{\"content\":\"" + big + "\"}}]}"));
                String bigId = send(port, CAPTURED, chat(big, false));

                // The same team, but the key's own setting turns it off.
                upstream.answer(FakeUpstream.json(200, whole.replace("WHOLE-ANSWER", "PRIVATE-ANSWER")));
                String privateId = send(port, PRIVATE, chat("PRIVATE-PROMPT", false));

                JsonNode w = record(port, wholeId);
                assertEquals("watched", w.path("key").asText());
                assertEquals(chat("WHOLE-PROMPT", false), w.path("content").path("request").asText());
                assertEquals(whole, w.path("content").path("response").asText());

                JsonNode s = record(port, streamId);
                assertTrue(s.path("stream").asBoolean());
                assertEquals(chat("STREAM-PROMPT", true), s.path("content").path("request").asText());
                assertEquals("STREAMED-ANSWER", s.path("content").path("response").asText(), s.toString());

                JsonNode t = record(port, translatedId);
                assertEquals(messages, t.path("content").path("request").asText());
                assertEquals("TRANSLATED-ANSWER", t.path("content").path("response").asText(), t.toString());

                JsonNode b = record(port, bigId).path("content");
                for (String field : List.of("request", "response")) {
                    String text = b.path(field).asText();
                    assertTrue(text.length() < 64 * 1024 + 200, field + " is bounded: " + text.length());
                    assertTrue(text.startsWith(field.equals("request") ? "{\"model\":\"fast\"" : "{\"choices\""), field);
                    assertTrue(text.endsWith("bytes, the first 65536 kept]"), text.substring(text.length() - 80));
                    assertTrue(text.contains("[truncated by tollgate: "), field);
                }

                JsonNode p = record(port, privateId);
                assertEquals("private", p.path("key").asText());
                assertTrue(p.path("content").isNull(), p.toString());
                // Searches never carry content.
                JsonNode rows = ObservabilityTest.requests(port, "", 5);
                rows.forEach(r -> assertFalse(r.has("content"), r.toString()));
                assertEquals(404, ObservabilityTest.get(port, "/admin/requests/req_nope", ObservabilityTest.ADMIN).statusCode());
                assertEquals(401, ObservabilityTest.get(port, "/admin/requests/" + wholeId, null).statusCode());
            }
            // What the private key sent never reached the disk; what the watched key sent did.
            String stored = "";
            try (Stream<Path> files = Files.list(state)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("requests.db")).toList()) {
                    stored += new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                }
            }
            assertFalse(stored.contains("PRIVATE-PROMPT") || stored.contains("PRIVATE-ANSWER"));
            assertTrue(stored.contains("WHOLE-PROMPT"));
        }
    }
}
