package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model lists tell what the gateway knows of each model (catalog entry, else the bundled table), each in its dialect. */
class ModelFactsListingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theListsCarryContextWindowOutputCapReasoningAndImages(@TempDir Path state) throws Exception {
        String policy = """
                providers:
                  - {id: anthropic, kind: anthropic, base_url: "http://127.0.0.1:9/v1"}
                  - {id: local, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: sonnet, targets: [{provider: anthropic, model: claude-sonnet-4-5}]}
                  - {name: llama, targets: [{provider: local, model: llama3.3}], context_window: 131072, reasoning: false, images: false}
                  - {name: mystery, targets: [{provider: local, model: qwen-next}]}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys: [{id: dev, team: infra, sha256: %s}]
                """.formatted(Secrets.sha256("tg-facts"));
        PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
        try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 24, Duration.ofSeconds(5)),
                new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
            int port = gateway.port();
            JsonNode openai = JSON.readTree(ObservabilityTest.get(port, "/v1/models", "tg-facts").body()).path("data");
            JsonNode sonnet = openai.get(0);
            assertEquals("sonnet", sonnet.path("id").asText());
            assertEquals(200000, sonnet.path("context_window").asLong());
            assertEquals(64000, sonnet.path("max_output_tokens").asLong());
            assertEquals(true, sonnet.path("reasoning").asBoolean());
            assertEquals("[\"text\",\"image\"]", sonnet.path("input_modalities").toString());
            JsonNode llama = openai.get(1);
            assertEquals(131072, llama.path("context_window").asLong());
            assertFalse(llama.has("max_output_tokens"), llama.toString());
            assertEquals(false, llama.path("reasoning").asBoolean(true));
            assertEquals("[\"text\"]", llama.path("input_modalities").toString());
            // Nothing known: nothing made up.
            JsonNode mystery = openai.get(2);
            assertEquals("mystery", mystery.path("id").asText());
            assertFalse(mystery.has("context_window") || mystery.has("reasoning") || mystery.has("input_modalities"), mystery.toString());
            JsonNode one = JSON.readTree(ObservabilityTest.get(port, "/v1/models/sonnet", "tg-facts").body());
            assertEquals(200000, one.path("context_window").asLong());

            JsonNode gemini = JSON.readTree(ObservabilityTest.get(port, "/v1beta/models/sonnet", "tg-facts").body());
            assertEquals(200000, gemini.path("inputTokenLimit").asLong(), gemini.toString());
            assertEquals(64000, gemini.path("outputTokenLimit").asLong());
            assertEquals(true, gemini.path("thinking").asBoolean());
        }
    }
}
