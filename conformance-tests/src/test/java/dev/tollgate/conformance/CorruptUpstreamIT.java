package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Corrupt or cut upstream answers, on every surface: while nothing has reached the client the fallback
 * serves (the simulator shows it was called); when nothing serves, a 502 in the client's dialect; once
 * the stream is under way, the dialect's error event, never a silent end, and what was generated is charged.
 */
class CorruptUpstreamIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("corrupt-upstream", """
                providers:
                  - id: primary
                    kind: openai-compatible
                    base_url: "http://127.0.0.1:SIM_PORT/v1"
                    circuit_breaker: {failures: 1000}
                  - {id: fallback, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: resp, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1", settings: {api: responses}}
                  - {id: anth, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: gem, kind: gemini, base_url: "http://127.0.0.1:SIM_PORT/v1beta"}
                models:
                  - name: gpt
                    targets: [{provider: primary, model: primary-m}]
                    fallbacks: [{provider: fallback, model: fallback-m}]
                  - {name: codex, targets: [{provider: resp, model: codex-m}]}
                  - {name: claude, targets: [{provider: anth, model: claude-m}]}
                  - {name: gem, targets: [{provider: gem, model: gem-m}]}
                pricing:
                  - {model: gpt, input: 1, output: 1}
                  - {model: codex, input: 1000, output: 1000}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: dev, team: infra, sha256: %s}
                """.formatted(KeyHash.sha256("tg-dev"))).clearingSim(StackExtension.REQUESTS, StackExtension.FAULTS);

    private static void fault(String json) throws Exception {
        HttpResponse<String> r = stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[" + json + "]}");
        assertEquals(200, r.statusCode(), r.body());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path)))
                .header("content-type", "application/json").header("authorization", "Bearer tg-dev").header("x-goog-api-key", "tg-dev")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The models the simulator was asked for, in order (Gemini's from its path). */
    private static List<String> modelsCalled() throws Exception {
        List<String> models = new ArrayList<>();
        for (JsonNode r : JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body())) {
            if (r.path("method").asText().equals("POST")) {
                models.add(r.path("body").path("model").asText(r.path("path").asText()));
            }
        }
        return models;
    }

    private static final String ANTHROPIC = "{\"model\":\"gpt\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String GEMINI = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}";
    private static final String CHAT = "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String CHAT_STREAM = "{\"model\":\"gpt\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void nonStreamedAnthropicTranslatedToABrokenOpenAiStream_fallsBack() throws Exception {
        fault("{\"reset_after_chunks\":3,\"model\":\"primary-m\"}");
        HttpResponse<String> r = post("/anthropic/v1/messages", ANTHROPIC);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("message", JSON.readTree(r.body()).path("type").asText(), r.body());
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());
    }

    @Test
    void nonStreamedGeminiTranslatedToAnOpenAiStreamCutBeforeItsEnd_fallsBack() throws Exception {
        fault("{\"end_after_chunks\":3,\"model\":\"primary-m\"}");
        HttpResponse<String> r = post("/genai/v1beta/models/gpt:generateContent", GEMINI);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("candidates").path(0).path("content").path("parts").path(0).path("text").asText()
                .startsWith("Hello from the Tollgate"), r.body());
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());
    }

    @Test
    void aNonJsonWholeAnswer_fallsBackAndWhenNothingServesIsA502InTheDialect() throws Exception {
        fault("{\"malformed_after_chunks\":0,\"model\":\"primary-m\"}");
        HttpResponse<String> r = post("/v1/chat/completions", CHAT);
        assertEquals(200, r.statusCode(), r.body());
        // The answer names the model asked for (one rule on every path); the simulator's calls show which target served.
        assertEquals("gpt", JSON.readTree(r.body()).path("model").asText(), r.body());
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());

        fault("{\"malformed_after_chunks\":0,\"times\":2}");
        HttpResponse<String> none = post("/v1/chat/completions", CHAT);
        assertEquals(502, none.statusCode(), none.body());
        assertTrue(JSON.readTree(none.body()).path("error").path("message").asText().contains("not JSON"), none.body());

        fault("{\"malformed_after_chunks\":0}");
        HttpResponse<String> claude = post("/anthropic/v1/messages", "{\"model\":\"claude\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(502, claude.statusCode(), claude.body());
        assertEquals("error", JSON.readTree(claude.body()).path("type").asText(), "Anthropic's error shape: " + claude.body());
    }

    @Test
    void aGarbageFirstEvent_fallsBack() throws Exception {
        fault("{\"malformed_after_chunks\":0,\"model\":\"primary-m\"}");
        HttpResponse<String> r = post("/v1/chat/completions", CHAT_STREAM);
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(r.body().contains("not json"), r.body());
        assertTrue(r.body().contains("data: [DONE]"), r.body());
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());
    }

    @Test
    void aMalformedEventMidStreamEndsWithTheErrorChunk() throws Exception {
        fault("{\"malformed_after_chunks\":3,\"model\":\"primary-m\"}");
        HttpResponse<String> r = post("/v1/chat/completions", CHAT_STREAM);
        assertEquals(200, r.statusCode());
        assertFalse(r.body().contains("{not json"), "the malformed event is not relayed: " + r.body());
        assertTrue(r.body().contains("\"error\""), "an error chunk ends the stream: " + r.body());
        assertEquals(List.of("primary-m"), modelsCalled(), "bytes had reached the client: no fallback");
    }

    @Test
    void aResponsesStreamWithoutResponseCompletedEndsWithResponseFailedAndIsCharged() throws Exception {
        BigDecimal before = spent();
        fault("{\"end_after_chunks\":5}");
        HttpResponse<String> r = post("/v1/responses", "{\"model\":\"codex\",\"stream\":true,\"input\":\"hi\"}");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("response.output_text.delta"), r.body());
        assertFalse(r.body().contains("response.completed"), r.body());
        assertTrue(r.body().contains("response.failed"), "the Responses failure event: " + r.body());
        assertTrue(spent().compareTo(before) > 0, "what was generated is charged");
    }

    @Test
    void anAnthropicStreamWithoutMessageStopEndsWithAnErrorEvent() throws Exception {
        fault("{\"end_after_chunks\":4}");
        HttpResponse<String> r = post("/anthropic/v1/messages",
                "{\"model\":\"claude\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode());
        assertFalse(r.body().contains("message_stop"), r.body());
        assertTrue(r.body().contains("event: error"), r.body());
    }

    @Test
    void aGeminiStreamWithoutItsFinishReasonEndsWithAnError() throws Exception {
        fault("{\"end_after_chunks\":2}");
        HttpResponse<String> r = post("/genai/v1beta/models/gem:streamGenerateContent?alt=sse", GEMINI);
        assertEquals(200, r.statusCode());
        assertFalse(r.body().contains("finishReason"), r.body());
        assertTrue(r.body().contains("\"error\""), r.body());
    }

    @Test
    void aTranslatedStreamCutBeforeItsEndEndsWithTheClientsErrorEvent() throws Exception {
        fault("{\"end_after_chunks\":3,\"model\":\"primary-m\"}");
        HttpResponse<String> r = post("/anthropic/v1/messages",
                "{\"model\":\"gpt\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("event: error"), r.body());
        assertFalse(r.body().contains("message_stop"), r.body());
    }

    private static BigDecimal spent() throws Exception {
        JsonNode usage = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/usage")))
                .header("authorization", "Bearer tg-dev").build(), HttpResponse.BodyHandlers.ofString()).body());
        return usage.path("spend").path("total").path("spent_usd").decimalValue();
    }
}
