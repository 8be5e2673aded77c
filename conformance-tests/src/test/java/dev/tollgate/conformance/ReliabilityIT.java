package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault injection on the simulator's primary model ({@code primary-m}) behind the gateway process: the
 * official SDK and the real Codex CLI get normal answers from the fallback ({@code fallback-m}).
 */
class ReliabilityIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("reliability", """
                providers:
                  - id: primary
                    kind: openai-compatible
                    base_url: "http://127.0.0.1:SIM_PORT/v1"
                    timeouts: {first_byte_seconds: 1, idle_seconds: 1}
                    circuit_breaker: {failures: 1000}
                  - {id: fallback, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - name: gpt-5.5
                    targets: [{provider: primary, model: primary-m}]
                    fallbacks: [{provider: fallback, model: fallback-m}]
                pricing:
                  - {model: gpt-5.5, input: 1, output: 1000}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: dev, team: infra, sha256: %s}
                """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"))).clearingSim(StackExtension.REQUESTS, StackExtension.FAULTS);

    /** The openai-java SDK with the dev key and no retries of its own: every recovery seen is the gateway's. */
    private static OpenAIClient sdk() {
        return stack.openAi("tg-dev");
    }

    private static void fault(String json) throws Exception {
        HttpResponse<String> r = stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[" + json + "]}");
        assertEquals(200, r.statusCode(), r.body());
    }

    /** The models the simulator was asked for, in order. */
    private static List<String> modelsCalled() throws Exception {
        List<String> models = new ArrayList<>();
        for (JsonNode r : JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body())) {
            if (r.path("method").asText().equals("POST")) {
                models.add(r.path("body").path("model").asText());
            }
        }
        return models;
    }

    private static ChatCompletionCreateParams chat() {
        return ChatCompletionCreateParams.builder().model("gpt-5.5").addUserMessage("Say hello.").build();
    }

    private static String streamedText() {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = sdk().chat().completions().createStreaming(chat())) {
            stream.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        }
        return text.toString();
    }

    @Test
    void primaryAnswering503_sdkGetsTheFallbacksAnswer() throws Exception {
        fault("{\"status\":503,\"model\":\"primary-m\"}");
        ChatCompletion c = sdk().chat().completions().create(chat());
        assertTrue(c.choices().getFirst().message().content().orElseThrow().startsWith("Hello from the Tollgate"));
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());
    }

    @Test
    void primaryAnswering429WithRetryAfter_coolsTrafficMovesThenReturnsAfterTheCooldown() throws Exception {
        fault("{\"status\":429,\"retry_after\":3,\"model\":\"primary-m\"}");
        sdk().chat().completions().create(chat());
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());
        stack.get().delete(stack.get().sim("/_sim/requests"));
        sdk().chat().completions().create(chat());
        List<String> whileCooling = modelsCalled();
        // The next request comes well inside the 3 s, even on a loaded machine.
        assertEquals(List.of("fallback-m"), whileCooling, "the cooling primary is skipped");
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<String> called = List.of();
        while (!called.contains("primary-m") && System.nanoTime() < deadline) {
            stack.get().delete(stack.get().sim("/_sim/requests"));
            sdk().chat().completions().create(chat());
            called = modelsCalled();
            Thread.sleep(50);
        }
        assertEquals(List.of("primary-m"), called, "after the cool-down the primary serves again, on the first try");
    }

    @Test
    void primaryResettingBeforeTheFirstByte_sdkStreamGetsTheFallbacksAnswer() throws Exception {
        // Twice: a reset on a reused keep-alive connection looks like a stale socket, and the upstream client
        // sends once more on a fresh one before calling the target failed.
        fault("{\"reset_after_chunks\":0,\"model\":\"primary-m\",\"times\":2}");
        assertTrue(streamedText().startsWith("Hello from the Tollgate"));
        List<String> called = modelsCalled();
        assertEquals("fallback-m", called.getLast(), called.toString());
        assertTrue(called.subList(0, called.size() - 1).stream().allMatch("primary-m"::equals) && called.size() <= 3, called.toString());
    }

    @Test
    void primaryStallingBeforeTheFirstByte_sdkGetsTheFallbacksAnswerAfterTheFirstByteTimeout() throws Exception {
        fault("{\"stall_ms\":8000,\"model\":\"primary-m\"}");
        long started = System.nanoTime();
        assertTrue(streamedText().startsWith("Hello from the Tollgate"));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        // The bound is the feature: 1 s first-byte timeout, well before the 8 s stall ends.
        assertTrue(tookMs >= 900 && tookMs < 6000, "answered after " + tookMs + " ms");
        assertEquals(List.of("primary-m", "fallback-m"), modelsCalled());
    }

    @Test
    void midStreamResetAfterBytesReachedTheClient_noRetryAnErrorEventAndPartialUsageCharged() throws Exception {
        long before = outputTokens();
        fault("{\"reset_after_chunks\":4,\"model\":\"primary-m\"}");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/chat/completions")))
                .header("authorization", "Bearer tg-dev").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5.5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"content\":\"Hello"), "the first events reached the client: " + r.body());
        JsonNode last = JSON.readTree(r.body().strip().lines().reduce((x, y) -> y).orElseThrow().substring("data: ".length()));
        assertEquals("upstream_error", last.path("error").path("code").asText(""), "an OpenAI error event ends the stream: " + r.body());
        assertEquals(List.of("primary-m"), modelsCalled(), "nothing retried once bytes reached the client");
        long charged = outputTokens() - before;
        assertTrue(charged > 0 && charged < 12, "the tokens relayed before the reset are charged, not a whole answer: " + charged);
    }

    private static HttpResponse<String> post(String path, String header, String value, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path)))
                .header(header, value).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What the client got from a stream the primary stalls in for 8 s after three chunks, and how long it took. */
    private record StalledStream(HttpResponse<String> response, long millis) {
    }

    private static StalledStream stallMidway(String path, String header, String value, String body) throws Exception {
        fault("{\"stall_ms\":8000,\"after_chunks\":3,\"model\":\"primary-m\"}");
        long started = System.nanoTime();
        HttpResponse<String> r = post(path, header, value, body);
        return new StalledStream(r, (System.nanoTime() - started) / 1_000_000);
    }

    /** Responses is the primary's own format: the bytes pass through, and the gateway ends the stalled stream itself. */
    @Test
    void aStreamStallingMidwayIsCutAfterTheIdleTimeoutWithAResponsesFailedEvent() throws Exception {
        StalledStream stalled = stallMidway("/v1/responses", "authorization", "Bearer tg-dev",
                "{\"model\":\"gpt-5.5\",\"stream\":true,\"input\":\"hi\"}");
        HttpResponse<String> r = stalled.response();
        long tookMs = stalled.millis();
        assertEquals(200, r.statusCode());
        assertTrue(r.body().strip().endsWith("}") && r.body().contains("event: response.failed"), r.body());
        assertTrue(tookMs >= 900 && tookMs < 6000, "cut by the 1 s idle timeout, not the 8 s stall: " + tookMs + " ms");
        assertEquals(List.of("primary-m"), modelsCalled(), "events had reached the client: no retry");
    }

    /** Claude Code's dialect on an OpenAI upstream: the translated stream ends with Anthropic's error event. */
    @Test
    void aTranslatedStreamStallingMidwayEndsWithAnAnthropicErrorEvent() throws Exception {
        StalledStream stalled = stallMidway("/anthropic/v1/messages", "x-api-key", "tg-dev",
                "{\"model\":\"gpt-5.5\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        HttpResponse<String> r = stalled.response();
        long tookMs = stalled.millis();
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("event: message_start") && r.body().contains("event: error"), r.body());
        assertTrue(tookMs < 6000, "cut by the 1 s idle timeout, not the 8 s stall: " + tookMs + " ms");
        assertEquals(List.of("primary-m"), modelsCalled());
    }

    @Test
    void codexCliDoesAToolRoundTripWhileThePrimaryAnswers503() throws Exception {
        fault("{\"status\":503,\"model\":\"primary-m\",\"times\":10}");
        // No retries of Codex's own: every recovery seen here is the gateway's.
        Cli.Result result = Cli.codexExec(stack.get(), "gpt-5.5", Cli.codexViaGateway(stack.get(), ",request_max_retries=0,stream_max_retries=0"),
                Map.of("GW_API_KEY", "tg-dev"), Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
        assertEquals(List.of("primary-m", "fallback-m", "primary-m", "fallback-m"), modelsCalled(),
                "each of the two turns failed on the primary and was answered by the fallback");
    }

    private static long outputTokens() throws Exception {
        HttpResponse<String> admin = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/usage?by=key&period=total")))
                .header("authorization", "Bearer admin-token").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, admin.statusCode(), admin.body());
        for (JsonNode row : JSON.readTree(admin.body()).path("rows")) {
            if (row.path("key").asText().equals("dev")) {
                return row.path("output_tokens").asLong();
            }
        }
        return 0;
    }
}
