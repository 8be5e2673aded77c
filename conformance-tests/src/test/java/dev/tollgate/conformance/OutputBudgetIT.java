package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Parameters that multiply the output ({@code n}, {@code candidateCount}) are reserved for: concurrent
 * requests cannot spend a small budget many times over, and absurd values are the client's 400.
 * The simulator bills every choice, as the providers do.
 */
class OutputBudgetIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("output-budget", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: gem, kind: gemini, base_url: "http://127.0.0.1:SIM_PORT/v1beta"}
                models:
                  - {name: gpt, targets: [{provider: sim, model: gpt}]}
                  - {name: gem, targets: [{provider: gem, model: gem}]}
                pricing:
                  - {model: gpt, input: 0, output: 125}
                  - {model: gem, input: 0, output: 125}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: small, team: infra, sha256: %s, budgets: [{amount_usd: 0.05, period: total}]}
                  - {id: gemini, team: infra, sha256: %s, budgets: [{amount_usd: 0.05, period: total}]}
                  - {id: dev, team: infra, sha256: %s}
                """.formatted(KeyHash.sha256("tg-small"), KeyHash.sha256("tg-gemini"), KeyHash.sha256("tg-dev")))
            .clearingSim(StackExtension.REQUESTS, StackExtension.FAULTS);

    private static HttpResponse<String> post(String path, String key, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path)))
                .header("content-type", "application/json").header("authorization", "Bearer " + key)
                .header("x-goog-api-key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static BigDecimal spent(String key) throws Exception {
        JsonNode usage = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/usage")))
                .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
        return usage.path("spend").path("total").path("spent_usd").decimalValue();
    }

    /** Sends {@code count} requests at once, each answered after half a second so all are in flight together; returns their statuses. */
    private static List<Integer> concurrently(int count, Callable<HttpResponse<String>> call) throws Exception {
        HttpResponse<String> queued = stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[{\"stall_ms\":500,\"times\":" + count + "}]}");
        assertEquals(200, queued.statusCode(), queued.body());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                all.add(pool.submit(call));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> f : all) {
                statuses.add(f.get().statusCode());
            }
            return statuses;
        }
    }

    @Test
    void concurrentChatRequestsWithNDoNotOverspendABudget() throws Exception {
        // Each answer: 16 choices x 8 tokens (the simulator's 8 words) at $125/M = $0.016. The budget holds three of them.
        List<Integer> statuses = concurrently(20, () -> post("/v1/chat/completions", "tg-small",
                "{\"model\":\"gpt\",\"n\":16,\"max_completion_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        long ok = statuses.stream().filter(s -> s == 200).count();
        assertTrue(ok >= 1 && ok <= 3, "a $0.05 budget pays for at most three $0.016 answers: " + statuses);
        assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 429 || s == 400), statuses.toString());
        BigDecimal spent = spent("tg-small");
        assertTrue(spent.compareTo(new BigDecimal("0.05")) <= 0, "spent " + spent + " of $0.05 (" + ok + " answers)");
        assertEquals(0, spent.compareTo(new BigDecimal("0.016").multiply(BigDecimal.valueOf(ok))), "every choice billed: " + spent);
    }

    @Test
    void concurrentGeminiRequestsWithCandidateCountDoNotOverspendABudget() throws Exception {
        // 8 candidates x 8 tokens at $125/M = $0.008 each (the simulator bills every candidate); six fit in $0.05.
        List<Integer> statuses = concurrently(20, () -> post("/genai/v1beta/models/gem:generateContent", "tg-gemini",
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],\"generationConfig\":{\"candidateCount\":8,\"maxOutputTokens\":8}}"));
        long ok = statuses.stream().filter(s -> s == 200).count();
        assertTrue(ok >= 1 && ok <= 6, statuses.toString());
        BigDecimal spent = spent("tg-gemini");
        assertTrue(spent.compareTo(new BigDecimal("0.05")) <= 0, "spent " + spent + " of $0.05");
        assertEquals(0, spent.compareTo(new BigDecimal("0.008").multiply(BigDecimal.valueOf(ok))), "every candidate billed: " + spent);
    }

    @Test
    void absurdMultipliersAreTheClientsMistakeInItsDialect() throws Exception {
        HttpResponse<String> chat = post("/v1/chat/completions", "tg-dev", "{\"model\":\"gpt\",\"n\":1000,\"messages\":[]}");
        assertEquals(400, chat.statusCode(), chat.body());
        JsonNode error = JSON.readTree(chat.body()).path("error");
        assertEquals("n", error.path("param").asText(), chat.body());
        assertTrue(error.path("message").asText().contains("'n' must be a whole number from 1 to 128"), chat.body());

        HttpResponse<String> anthropic = post("/anthropic/v1/messages", "tg-dev", "{\"model\":\"gpt\",\"max_tokens\":\"lots\",\"messages\":[]}");
        assertEquals(400, anthropic.statusCode(), anthropic.body());
        assertEquals("invalid_request_error", JSON.readTree(anthropic.body()).path("error").path("type").asText(), anthropic.body());
        assertTrue(anthropic.body().contains("max_tokens"), anthropic.body());

        HttpResponse<String> gemini = post("/genai/v1beta/models/gem:generateContent", "tg-dev",
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],\"generationConfig\":{\"candidateCount\":9}}");
        assertEquals(400, gemini.statusCode(), gemini.body());
        assertEquals("INVALID_ARGUMENT", JSON.readTree(gemini.body()).path("error").path("status").asText(), gemini.body());
        assertTrue(gemini.body().contains("generationConfig.candidateCount"), gemini.body());

        assertEquals(0, JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body()).size(), "nothing reached the provider");
    }

    @Test
    void aZeroMaximumOnResponsesIsA400() throws Exception {
        HttpResponse<String> chat = post("/v1/responses", "tg-dev", "{\"model\":\"gpt\",\"max_output_tokens\":0,\"input\":\"hi\"}");
        assertEquals(400, chat.statusCode(), chat.body());
        assertEquals("max_output_tokens", JSON.readTree(chat.body()).path("error").path("param").asText(), chat.body());
    }
}
