package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.budget.TokenCounter;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Estimates that learn: the upstream bills three times the input tokens the gateway counts. Once a
 * few answers have taught the model's input ratio, 200 concurrent requests on a small budget overrun
 * it by at most one request's cost.
 */
class InputRatioTest {

    private static final String BODY = "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"how many tokens is this?\"}]}";
    private static final long COUNTED = TokenCounter.count(BODY.getBytes(StandardCharsets.UTF_8));
    private static final long BILLED_INPUT = 3 * COUNTED;
    /** $1000 per million tokens: a thousandth of a dollar a token. */
    private static final long NANOS_PER_TOKEN = 1_000_000;
    private static final long REQUEST_NANOS = (BILLED_INPUT + 10) * NANOS_PER_TOKEN;
    private static final long BUDGET_NANOS = 10 * REQUEST_NANOS;

    private FakeUpstream upstream;
    private TollgateServer gateway;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream();
        upstream.answer(FakeUpstream.json(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + BILLED_INPUT
                + ",\"completion_tokens\":10,\"total_tokens\":" + (BILLED_INPUT + 10) + "}}"));
        dir = Files.createTempDirectory("tollgate-input-ratio-");
        String budget = java.math.BigDecimal.valueOf(BUDGET_NANOS, 9).toPlainString();
        String policy = """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: m, targets: [{provider: up, model: m-up}]}
                pricing:
                  - {model: m, input: 1000, output: 1000}
                customers:
                  - {id: acme}
                teams:
                  - {id: infra, customer: acme}
                keys:
                  - {id: warm, team: infra, sha256: %s}
                  - {id: tight, team: infra, sha256: %s, budgets: [{amount_usd: %s, period: daily}]}
                """.formatted(upstream.port(), Secrets.sha256("k-warm"), Secrets.sha256("k-tight"), budget);
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", dir.resolve("state"), 1 << 20, Duration.ofSeconds(5)),
                new PolicyHolder(PolicyLoader.load(Map.of("p.yaml", policy.getBytes(StandardCharsets.UTF_8)))));
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
    }

    private final java.util.Set<String> refusals = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private int post(HttpClient http, String key) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            refusals.add(r.statusCode() + " " + JsonBody.MAPPER.readTree(r.body()).path("error").path("code").asText());
        }
        return r.statusCode();
    }

    @Test
    void afterAWarmUpConcurrentRequestsOverrunABudgetByAtMostOneRequest() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 5; i++) {
            assertEquals(200, post(http, "k-warm"));
        }
        AtomicInteger answered = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    if (post(http, "k-tight") == 200) {
                        answered.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        long spent = spentBy("tight");
        assertEquals(answered.get() * REQUEST_NANOS, spent, "every answered request is charged what the upstream billed");
        assertTrue(spent <= BUDGET_NANOS + REQUEST_NANOS, "overrun by more than one request: " + spent + " > " + (BUDGET_NANOS + REQUEST_NANOS));
        assertTrue(answered.get() >= 9, "the budget still serves what it holds: " + answered.get() + "; refusals " + refusals);
    }

    /** The key's budget rows as {@code GET /v1/usage} shows them: spent in the current daily period. */
    private long spentBy(String key) throws Exception {
        String json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/usage"))
                .header("authorization", "Bearer k-" + key).build(), HttpResponse.BodyHandlers.ofString()).body();
        return Math.round(JsonBody.MAPPER.readTree(json).path("spend").path("daily").path("spent_usd").decimalValue()
                .movePointRight(9).doubleValue());
    }
}
