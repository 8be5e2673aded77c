package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which headers and credentials reach each kind of upstream, passed through and translated. */
class AnthropicSurfaceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The providers' credential is env:PATH, a variable every test process has. */
    private static final String PROVIDER_KEY = System.getenv("PATH");
    private static final String RESPONSES_STREAM = """
            event: response.output_item.done
            data: {"type":"response.output_item.done","output_index":0,"item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi there"}]}}

            event: response.completed
            data: {"type":"response.completed","response":{"id":"resp_1","usage":{"input_tokens":7,"output_tokens":2}}}

            """;
    private static final String ANTHROPIC_MESSAGE = """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hi"}],
             "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}""";
    private static FakeUpstream upstream;
    private static TollgateServer gateway;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeUpstream();
        String policy = """
                providers:
                  - {id: anth, kind: anthropic, base_url: "http://127.0.0.1:%1$d/v1", credential: "env:PATH"}
                  - {id: oai, kind: openai, base_url: "http://127.0.0.1:%1$d/v1", credential: "env:PATH", settings: {max-output-tokens: "32768"}}
                models:
                  - name: claude
                    targets: [{provider: anth, model: claude-x}]
                  - name: gpt
                    targets: [{provider: oai, model: gpt-x}]
                """.formatted(upstream.port());
        var snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 1 << 20, Duration.ofSeconds(5)),
                new PolicyHolder(snapshot));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.received.clear();
    }

    private static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("content-type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anthropicToAnthropicPassesBytesAndVersionHeadersButNotTheClientsKey() throws Exception {
        upstream.answer(FakeUpstream.json(200, ANTHROPIC_MESSAGE));
        String body = "{\"model\":\"claude\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"context_management\":{\"edits\":[]}}";
        HttpResponse<String> r = post("/anthropic/v1/messages?beta=true", body,
                "x-api-key", "client-key", "anthropic-version", "2023-06-01", "anthropic-beta", "context-management-2025-06-27");
        assertEquals(200, r.statusCode(), r.body());
        FakeUpstream.Received got = upstream.received.getFirst();
        assertEquals("/v1/messages", got.path());
        assertEquals(PROVIDER_KEY, got.headers().get("x-api-key"));
        assertEquals("2023-06-01", got.headers().get("anthropic-version"));
        assertEquals("context-management-2025-06-27", got.headers().get("anthropic-beta"));
        assertEquals(body.replace("\"claude\"", "\"claude-x\""), got.body(), "byte for byte but the model");
        assertEquals(ANTHROPIC_MESSAGE.replace("\"claude-x\"", "\"claude\""), r.body(), "byte for byte but the model: the name asked for");
    }

    @Test
    void anthropicToOpenAiIsTranslatedAndCarriesNoAnthropicHeaders() throws Exception {
        upstream.answer((req, res) -> {
            res.header("content-type", "text/event-stream");
            res.send(RESPONSES_STREAM);
        });
        HttpResponse<String> r = post("/anthropic/v1/messages", "{\"model\":\"gpt\",\"max_tokens\":64000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "x-api-key", "client-key", "anthropic-version", "2023-06-01", "anthropic-beta", "x");
        assertEquals(200, r.statusCode(), r.body());
        FakeUpstream.Received got = upstream.received.getFirst();
        assertEquals("/v1/responses", got.path());
        assertEquals("Bearer " + PROVIDER_KEY, got.headers().get("authorization"));
        assertFalse(got.headers().containsKey("x-api-key"));
        assertFalse(got.headers().keySet().stream().anyMatch(h -> h.startsWith("anthropic-")), got.headers().toString());
        JsonNode up = JSON.readTree(got.body());
        assertEquals("gpt-x", up.path("model").asText());
        assertTrue(up.path("stream").asBoolean(), "translated calls stream upstream even for a whole answer");
        assertEquals(32768, up.path("max_output_tokens").asInt(), "Claude Code's 64,000 capped at the provider's max-output-tokens");

        JsonNode message = JSON.readTree(r.body());
        assertEquals("message", message.path("type").asText());
        assertEquals("gpt", message.path("model").asText(), "the client sees the model it asked for");
        assertEquals("Hi there", message.path("content").get(0).path("text").asText());
        assertEquals(7, message.path("usage").path("input_tokens").asInt());
    }

    @Test
    void responsesToAnthropicSendsTheDefaultVersionAndNoCodexHeaders() throws Exception {
        upstream.answer((req, res) -> {
            res.header("content-type", "text/event-stream");
            res.send("""
                    event: message_start
                    data: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}}}

                    event: content_block_start
                    data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

                    event: content_block_delta
                    data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

                    event: content_block_stop
                    data: {"type":"content_block_stop","index":0}

                    event: message_delta
                    data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}

                    event: message_stop
                    data: {"type":"message_stop"}

                    """);
        });
        HttpResponse<String> r = post("/v1/responses", "{\"model\":\"claude\",\"stream\":true,\"input\":\"hi\"}",
                "authorization", "Bearer client-key", "originator", "codex_exec", "x-codex-turn-metadata", "{}");
        assertEquals(200, r.statusCode(), r.body());
        FakeUpstream.Received got = upstream.received.getFirst();
        assertEquals("/v1/messages", got.path());
        assertEquals(PROVIDER_KEY, got.headers().get("x-api-key"));
        assertEquals("2023-06-01", got.headers().get("anthropic-version"));
        assertFalse(got.headers().containsKey("originator"));
        assertFalse(got.headers().containsKey("x-codex-turn-metadata"));
        assertFalse(got.headers().containsKey("authorization"));
        List<String> types = r.body().lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
        assertEquals(List.of("response.created", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"), types);
    }
}
