package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.call.ModelName;
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

/**
 * Model names that are URL syntax, control bytes or huge, on every surface of a real gateway: a 400
 * in the client's dialect, nothing sent upstream, and the request log keeps at most 256 characters.
 */
class ModelNamesSurfaceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "admin-secret-for-names";
    private static final String GEMINI_BODY = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}";

    private static String policy(int port) {
        return """
                providers:
                  - {id: gem, kind: gemini, base_url: "http://127.0.0.1:%d/v1beta"}
                  - {id: az, kind: azure-openai, base_url: "http://127.0.0.1:%d"}
                admins:
                  - {id: ops, role: operator, sha256: %s}
                """.formatted(port, port, Secrets.sha256(ADMIN));
    }

    @Test
    void hostileNamesAre400InTheClientsDialectAndNeverLeave(@TempDir Path state) throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(upstream.port()).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 24, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
                int port = gateway.port();
                for (String name : List.of("gem/cheap/../priced", "gem/x?key=stolen", "az/x#y", "az/a%2Fb", "gem/a b", "gem/a\r\nb", "gem/\u0000",
                        "gem/a|b", "gem/{a}", "gem/a\\b", "", "az/./x", "az//x")) {
                    String quoted = JSON.writeValueAsString(name);
                    HttpResponse<String> openAi = ObservabilityTest.post(port, "/v1/chat/completions",
                            "{\"model\":" + quoted + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
                    assertEquals(400, openAi.statusCode(), name + ": " + openAi.body());
                    assertEquals("invalid_request_error", JSON.readTree(openAi.body()).path("error").path("type").asText(), openAi.body());
                    HttpResponse<String> anthropic = ObservabilityTest.post(port, "/anthropic/v1/messages",
                            "{\"model\":" + quoted + ",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
                    assertEquals(400, anthropic.statusCode(), name + ": " + anthropic.body());
                    assertEquals("error", JSON.readTree(anthropic.body()).path("type").asText(), anthropic.body());
                    HttpResponse<String> count = ObservabilityTest.post(port, "/anthropic/v1/messages/count_tokens",
                            "{\"model\":" + quoted + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
                    assertEquals(400, count.statusCode(), name + ": " + count.body());
                }
                for (String encoded : List.of("gem%2Fcheap%2F..%2Fpriced", "gem%2Fx%3Fkey%3Dstolen", "gem%2Fx%23y", "gem%2Fa%252Fb", "gem%2Fa%20b",
                        "gem%2Fa%0D%0Ab", "gem%2F%00", "gem%2Fa%7Cb", "gem%2F%7Ba%7D", "gem%2Fa%5Cb")) {
                    for (String method : List.of(":generateContent", ":streamGenerateContent?alt=sse", ":countTokens")) {
                        HttpResponse<String> google = ObservabilityTest.post(port, "/genai/v1beta/models/" + encoded + method, GEMINI_BODY, Map.of());
                        assertEquals(400, google.statusCode(), encoded + method + ": " + google.body());
                        JsonNode error = JSON.readTree(google.body()).path("error");
                        assertEquals("INVALID_ARGUMENT", error.path("status").asText(), google.body());
                        assertTrue(error.path("message").asText().startsWith("The model name in the request path "), google.body());
                    }
                    assertEquals(400, ObservabilityTest.get(port, "/v1beta/models/" + encoded, null).statusCode(), encoded);
                    assertEquals(400, ObservabilityTest.get(port, "/v1/models/" + encoded, null).statusCode(), encoded);
                    assertEquals(400, ObservabilityTest.get(port, "/anthropic/v1/models/" + encoded, null).statusCode(), encoded);
                }
                HttpResponse<String> fallback = ObservabilityTest.post(port, "/v1/chat/completions",
                        "{\"model\":\"az/dep\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of("x-tollgate-fallbacks", "gem/ok, gem/../x"));
                assertEquals(400, fallback.statusCode(), fallback.body());
                assertTrue(fallback.body().contains("The model name in x-tollgate-fallbacks has a '..' segment"), fallback.body());
                assertEquals(List.of(), upstream.received, "nothing went upstream");

                // A huge name: refused, and the request log keeps its first 256 characters only.
                String huge = "h".repeat(1_000_000);
                HttpResponse<String> refused = ObservabilityTest.post(port, "/v1/chat/completions",
                        "{\"model\":\"" + huge + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
                assertEquals(400, refused.statusCode());
                assertTrue(refused.body().length() < 1000, "the answer does not echo the name");
                JsonNode rows = ObservabilityTest.await("the refused request's record", () -> {
                    try {
                        JsonNode all = JSON.readTree(ObservabilityTest.get(port, "/admin/requests?limit=1000", ADMIN).body()).path("requests");
                        for (JsonNode r : all) {
                            if (r.path("requested_model").asText().startsWith("hhh")) {
                                return r;
                            }
                        }
                        return null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                String stored = rows.path("requested_model").asText();
                assertTrue(stored.length() <= ModelName.MAX_LENGTH && stored.startsWith("h".repeat(200)), stored);
                assertEquals(400, rows.path("status").asInt(), rows.toString());
            }
        }
    }
}
