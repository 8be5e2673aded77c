package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Failures on translated calls reach each client in its own dialect: before the answer and mid-stream. */
class TranslationErrorsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = """
            providers:
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
              - id: sim-responses
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
                settings: {api: responses}
            models:
              - name: claude
                targets: [{provider: sim-anthropic, model: claude}]
              - name: gpt
                targets: [{provider: sim-responses, model: gpt}]
            """;
    private static final String MESSAGES = "{\"model\":\"gpt\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String RESPONSES = "{\"model\":\"claude\",\"stream\":true,\"input\":\"hi\"}";

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("translation-errors", POLICY).clearingSim(StackExtension.FAULTS);

    private static void fault(String json) throws Exception {
        assertEquals(200, stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[" + json + "]}").statusCode());
    }

    @Test
    void headProbeAndUnknownPathsSpeakAnthropic() throws Exception {
        assertEquals(200, stack.get().head(stack.get().gateway("/anthropic")).statusCode());
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/anthropic/v1/complete"), "{}");
        assertEquals(404, r.statusCode());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("error", body.path("type").asText());
        assertEquals("not_found_error", body.path("error").path("type").asText());
        HttpResponse<String> bad = stack.get().post(stack.get().gateway("/anthropic/v1/messages?beta=true"), "{\"model\":\"gpt\"}");
        assertEquals(400, bad.statusCode());
        assertEquals("invalid_request_error", JSON.readTree(bad.body()).path("error").path("type").asText());
    }

    @Test
    void aProviderRefusalIsRenderedInTheClientsDialect() throws Exception {
        fault("{\"status\":429,\"retry_after\":7}");
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/anthropic/v1/messages"), MESSAGES);
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("7", r.headers().firstValue("retry-after").orElse(""), "Claude Code honours retry-after");
        JsonNode body = JSON.readTree(r.body());
        assertEquals("rate_limit_error", body.path("error").path("type").asText());
        assertTrue(body.path("error").path("message").asText().contains("429"), r.body());

        fault("{\"status\":400}");
        HttpResponse<String> codex = stack.get().post(stack.get().gateway("/v1/responses"), RESPONSES);
        assertEquals(400, codex.statusCode());
        assertTrue(JSON.readTree(codex.body()).path("error").path("message").asText().contains("Simulated 400"), codex.body());
    }

    @Test
    void aBrokenTranslatedStreamEndsWithTheClientsErrorEvent() throws Exception {
        fault("{\"reset_after_chunks\":4}");
        HttpResponse<String> claude = stack.get().post(stack.get().gateway("/anthropic/v1/messages"), MESSAGES);
        assertEquals(200, claude.statusCode());
        assertTrue(claude.body().contains("event: message_start"), claude.body());
        assertTrue(claude.body().contains("event: error"), "Anthropic's error event: " + claude.body());
        assertFalse(claude.body().contains("message_stop"), "a cut answer must not look whole: " + claude.body());

        fault("{\"reset_after_chunks\":3}");
        HttpResponse<String> codex = stack.get().post(stack.get().gateway("/v1/responses"), RESPONSES);
        assertEquals(200, codex.statusCode());
        assertTrue(codex.body().contains("event: response.failed"), "the Responses failure event: " + codex.body());
        assertFalse(codex.body().contains("response.completed"), codex.body());
    }

    @Test
    void aStreamThatEndsEarlyIsNotPassedOffAsComplete() throws Exception {
        fault("{\"malformed_after_chunks\":3}");
        HttpResponse<String> claude = stack.get().post(stack.get().gateway("/anthropic/v1/messages"), MESSAGES);
        assertTrue(claude.body().contains("event: error"), claude.body());
        assertFalse(claude.body().contains("message_stop"), claude.body());
    }
}
