package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The answer's {@code model} is the public name the client asked for on every path: a passed-through answer says
 * what a translated one says, whole or streamed, whatever the provider called its model.
 */
class AnswerModelNameTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void passedThroughAnswersNameTheRequestedModelWholeAndStreamed() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            var policy = PolicyLoader.load(Map.of("p.yaml", ("""
                    providers:
                      - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                      - {id: anth, kind: anthropic, base_url: "http://127.0.0.1:%d/v1"}
                    models:
                      - {name: house-model, aliases: [house], targets: [{provider: up, model: vendor-model-2025-01-01}]}
                    """.formatted(upstream.port(), upstream.port())).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(
                    new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(5)), new PolicyHolder(policy))) {
                HttpClient http = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + gateway.port();

                upstream.answer(FakeUpstream.json(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"vendor-model-2025-01-01\","
                        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}"));
                for (String asked : List.of("house-model", "house", "up/vendor-model-2025-01-01")) {
                    HttpResponse<String> whole = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + asked + "\",\"messages\":[]}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, whole.statusCode(), whole.body());
                    assertEquals(asked, JSON.readTree(whole.body()).path("model").asText(), whole.body());
                }

                upstream.answer(upstream.sse(List.of(
                        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"vendor-model-2025-01-01\",\"choices\":[{\"index\":0,"
                                + "\"delta\":{\"content\":\"hi\"}}]}\n\n",
                        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"vendor-model-2025-01-01\",\"choices\":[{\"index\":0,"
                                + "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                        "data: [DONE]\n\n"), 0));
                HttpResponse<String> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"house\",\"stream\":true,\"messages\":[]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(2, stream.body().split("\"model\":\"house\"", -1).length - 1, stream.body());
                assertTrue(stream.body().endsWith("data: [DONE]\n\n"), stream.body());

                upstream.answer(upstream.sse(List.of(
                        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\","
                                + "\"model\":\"claude-upstream-x\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\n",
                        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}\n\n",
                        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), 0));
                HttpResponse<String> messages = http.send(HttpRequest.newBuilder(URI.create(base + "/anthropic/v1/messages"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"anth/claude-x\",\"max_tokens\":10,\"stream\":true,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, messages.statusCode(), messages.body());
                assertTrue(messages.body().contains("\"model\":\"anth/claude-x\""), messages.body());
                assertTrue(!messages.body().contains("claude-upstream-x"), messages.body());
            }
        }
    }
}
