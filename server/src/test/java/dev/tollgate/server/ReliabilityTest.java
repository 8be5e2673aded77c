package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.route.TestClock;
import dev.tollgate.server.settings.ServerSettings;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fallbacks, retries, cool-downs, circuits and timeouts, in process against two scriptable upstreams. */
class ReliabilityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final TestClock clock = new TestClock();
    private FakeUpstream a;
    private FakeUpstream b;
    private TollgateServer gateway;
    private Path dir;

    @BeforeEach
    void upstreams() throws Exception {
        a = new FakeUpstream();
        b = new FakeUpstream();
        a.answer(answer("from-a"));
        b.answer(answer("from-b"));
        dir = Files.createTempDirectory("tollgate-reliability-");
        Files.writeString(dir.resolve("key-1"), "key-1");
        Files.writeString(dir.resolve("key-2"), "key-2");
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        a.close();
        b.close();
    }

    /** {@code A} and {@code B} in the policy stand for the two upstreams' base URLs, {@code DIR} for the credential files. */
    private void start(String policy) throws Exception {
        String yaml = policy.replace("A_URL", "http://127.0.0.1:" + a.port() + "/v1").replace("B_URL", "http://127.0.0.1:" + b.port() + "/v1")
                .replace("DIR", dir.toString());
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", dir.resolve("state"), 1 << 20, Duration.ofSeconds(10)),
                new PolicyHolder(PolicyLoader.load(Map.of("policy.yaml", yaml.getBytes(StandardCharsets.UTF_8)))), null, clock);
    }

    private static BiConsumer<ServerRequest, ServerResponse> answer(String text) {
        return FakeUpstream.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + text + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
    }

    private static BiConsumer<ServerRequest, ServerResponse> status(int status, String retryAfter) {
        return (req, res) -> {
            res.status(Status.create(status));
            if (retryAfter != null) {
                res.header(HeaderNames.RETRY_AFTER, retryAfter);
            }
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send("{\"error\":{\"message\":\"scripted " + status + "\"}}");
        };
    }

    private HttpResponse<String> chat(String body, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String text(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("choices").path(0).path("message").path("content").asText();
    }

    private static final String PRIMARY_AND_FALLBACK = """
            providers:
              - {id: a, kind: openai-compatible, base_url: "A_URL", timeouts: {first_byte_seconds: 0.5, idle_seconds: 0.5}}
              - {id: b, kind: openai-compatible, base_url: "B_URL"}
            models:
              - name: m
                targets: [{provider: a, model: ma}]
                fallbacks: [{provider: b, model: mb}]
            """;
    /** Model m on upstream a, falling back to upstream b. */
    private static final String M_FALLING_BACK = "{name: m, targets: [{provider: a, model: ma}], fallbacks: [{provider: b, model: mb}]}";

    /** Providers a (plus {@code aFields}, e.g. a circuit breaker) and b on the two upstreams, and these models, one per line. */
    private static String twoUpstreams(String aFields, String... models) {
        StringBuilder yaml = new StringBuilder("providers:\n")
                .append("  - {id: a, kind: openai-compatible, base_url: \"A_URL\"").append(aFields).append("}\n")
                .append("  - {id: b, kind: openai-compatible, base_url: \"B_URL\"}\n")
                .append("models:\n");
        for (String model : models) {
            yaml.append("  - ").append(model).append('\n');
        }
        return yaml.toString();
    }

    /** A chat answer and how long the gateway took to give it. */
    private record Timed(HttpResponse<String> response, Duration took) {
    }

    private Timed timedChat(String body) throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> r = chat(body);
        return new Timed(r, Duration.ofNanos(System.nanoTime() - started));
    }

    @Test
    void aPrimaryAnswering503IsReplacedByTheFallbackAndBothAttemptsAreCounted() throws Exception {
        start(PRIMARY_AND_FALLBACK);
        a.answer(status(503, null));
        HttpResponse<String> r = chat(CHAT);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("from-b", text(r));
        assertEquals(1, a.received.size());
        assertEquals("mb", JSON.readTree(b.received.getFirst().body()).path("model").asText());
        Map<String, Long> counts = gateway.upstreams().attemptCounts();
        assertEquals(1L, counts.get("a/ma upstream_error"), counts.toString());
        assertEquals(1L, counts.get("b/mb answered"), counts.toString());
    }

    @Test
    void aRetryOnTheSameTargetAfterBackoffWhenThePolicyAllowsIt() throws Exception {
        start(PRIMARY_AND_FALLBACK.replace("fallbacks: [{provider: b, model: mb}]",
                "fallbacks: [{provider: b, model: mb}]\n    retry: {attempts: 3, backoff_ms: 1, max_backoff_ms: 5}"));
        AtomicInteger calls = new AtomicInteger();
        a.answer((req, res) -> (calls.incrementAndGet() < 3 ? status(502, null) : answer("from-a")).accept(req, res));
        HttpResponse<String> r = chat(CHAT);
        assertEquals("from-a", text(r), "the third attempt on the primary answers");
        assertEquals(3, a.received.size());
        assertTrue(b.received.isEmpty());
    }

    @Test
    void aStallBeforeTheFirstByteFallsBackWithinTheFirstByteTimeout() throws Exception {
        start(PRIMARY_AND_FALLBACK);
        a.answer((req, res) -> {
            sleepQuietly(10_000);
            answer("late").accept(req, res);
        });
        Timed timed = timedChat(CHAT);
        HttpResponse<String> r = timed.response();
        Duration took = timed.took();
        assertEquals("from-b", text(r));
        // The feature under test is the bound: 0.5 s first-byte timeout, far below the upstream's 10 s stall.
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "answered after " + took);
    }

    @Test
    void aStalledUpstreamWithNoFallbackIsAnswered504WithinTheTimeout() throws Exception {
        start(PRIMARY_AND_FALLBACK.replace("    fallbacks: [{provider: b, model: mb}]\n", ""));
        a.answer((req, res) -> sleepQuietly(10_000));
        Timed timed = timedChat(CHAT);
        HttpResponse<String> r = timed.response();
        Duration took = timed.took();
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.body().contains("did not answer in time"), r.body());
        assertTrue(took.compareTo(Duration.ofMillis(450)) >= 0 && took.compareTo(Duration.ofSeconds(5)) < 0, "answered after " + took);
    }

    @Test
    void aStreamStalledAfterItsFirstEventsIsCutWithAnErrorEventAndNotRetried() throws Exception {
        start(PRIMARY_AND_FALLBACK);
        a.answer((req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            try (var out = res.outputStream()) {
                out.write("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                sleepQuietly(10_000);
            } catch (java.io.IOException | RuntimeException e) {
                a.signals.add("stream-aborted");
            }
        });
        Timed timed = timedChat(STREAM);
        HttpResponse<String> r = timed.response();
        Duration took = timed.took();
        assertEquals(200, r.statusCode());
        assertTrue(r.body().startsWith("data: {\"choices\""), r.body());
        assertTrue(r.body().contains("\"error\"") && r.body().contains("broke off the stream"), "an OpenAI error event ends it: " + r.body());
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "cut after the 0.5 s idle timeout, not the stall: " + took);
        assertTrue(b.received.isEmpty(), "bytes reached the client: no retry");
    }

    @Test
    void aStreamOutlastingTheWholeRequestTimeoutIsCutWithAnErrorEvent() throws Exception {
        start(PRIMARY_AND_FALLBACK.replace("timeouts: {first_byte_seconds: 0.5, idle_seconds: 0.5}", "timeouts: {idle_seconds: 5, total_seconds: 1}"));
        List<String> events = new ArrayList<>(java.util.Collections.nCopies(100, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"));
        events.add("data: [DONE]\n\n");
        a.answer(a.sse(events, 50)); // 5 s in all, each gap well inside the idle timeout
        Timed timed = timedChat(STREAM);
        HttpResponse<String> r = timed.response();
        Duration took = timed.took();
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("whole-request timeout") && !r.body().contains("[DONE]"), r.body());
        assertTrue(took.compareTo(Duration.ofMillis(900)) >= 0 && took.compareTo(Duration.ofSeconds(4)) < 0, "cut at the 1 s total: " + took);
    }

    @Test
    void aResetBeforeAnyAnswerFallsBack() throws Exception {
        start(PRIMARY_AND_FALLBACK);
        a.answer((req, res) -> {
            throw new io.helidon.webserver.CloseConnectionException("reset before the head");
        });
        HttpResponse<String> r = chat(STREAM.replace("\"stream\":true,", ""));
        assertEquals("from-b", text(r));
    }

    @Test
    void aStreamThatStallsAfterItsHeadButBeforeItsFirstEventFallsBack() throws Exception {
        headOnlyThenFallback(false, "timed_out");
    }

    @Test
    void aStreamThatBreaksAfterItsHeadButBeforeItsFirstEventFallsBack() throws Exception {
        headOnlyThenFallback(true, "reset");
    }

    private void headOnlyThenFallback(boolean hangUp, String outcome) throws Exception {
        try (HeadOnlyUpstream headOnly = new HeadOnlyUpstream(hangUp)) {
            start(PRIMARY_AND_FALLBACK.replace("A_URL", "http://127.0.0.1:" + headOnly.port() + "/v1"));
            String answer = "data: {\"choices\":[{\"delta\":{\"content\":\"from-b\"}}]}\n\ndata: [DONE]\n\n";
            b.answer(b.sse(List.of(answer.substring(0, answer.indexOf("data: [DONE]")), "data: [DONE]\n\n"), 0));
            HttpResponse<String> r = chat(STREAM);
            assertEquals(200, r.statusCode());
            assertEquals(answer, r.body(), "nothing of the primary's stream reached the client; the fallback's stream did");
            assertEquals(1, headOnly.requests.get());
            Map<String, Long> counts = gateway.upstreams().attemptCounts();
            assertEquals(1L, counts.get("a/ma " + outcome), counts.toString());
        }
    }

    @Test
    void aClientNamedFallbackServesWhenTheRouteHasNone() throws Exception {
        start(twoUpstreams("", "{name: m, targets: [{provider: a, model: ma}]}", "{name: other, targets: [{provider: b, model: mb}]}"));
        a.answer(status(500, null));
        assertEquals(500, chat(CHAT).statusCode(), "without the header the primary's answer is all there is");
        HttpResponse<String> r = chat(CHAT, "x-tollgate-fallbacks", "unknown-model, other");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("from-b", text(r));
    }

    @Test
    void aClientNamedFallbackTheKeyMayNotUseIsIgnored() throws Exception {
        start(twoUpstreams("", "{name: m, targets: [{provider: a, model: ma}]}", "{name: secret-model, targets: [{provider: b, model: mb}]}") + """
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme, deny_models: ["secret-*"]}]
                keys:
                  - {id: dev, team: infra, sha256: %s}
                """.formatted(dev.tollgate.policy.Secrets.sha256("k-dev")));
        a.answer(status(500, null));
        HttpResponse<String> r = chat(CHAT, "authorization", "Bearer k-dev", "x-tollgate-fallbacks", "secret-model");
        assertEquals(500, r.statusCode(), "the denied model is not a way around the deny rule: " + r.body());
        assertTrue(b.received.isEmpty());
    }

    @Test
    void a429WithRetryAfterCoolsThatCredentialTrafficMovesAndReturnsAfterTheCooldown() throws Exception {
        start("""
                providers:
                  - id: a
                    kind: openai-compatible
                    base_url: "A_URL"
                    credentials: ["file:DIR/key-1", "file:DIR/key-2"]
                models:
                  - {name: m, targets: [{provider: a, model: ma}]}
                """);
        AtomicInteger throttled = new AtomicInteger();
        a.answer((req, res) -> {
            boolean first = req.headers().first(HeaderNames.AUTHORIZATION).orElse("").equals("Bearer key-1");
            (first && throttled.getAndIncrement() == 0 ? status(429, "30") : answer("ok")).accept(req, res);
        });
        // Until a request meets key-1 (the draw is by weight), then that request moves to key-2.
        for (int i = 0; i < 200 && throttled.get() == 0; i++) {
            assertEquals(200, chat(CHAT).statusCode());
        }
        assertEquals(1, throttled.get(), "key-1 was drawn and throttled once");
        a.received.clear();
        for (int i = 0; i < 20; i++) {
            assertEquals(200, chat(CHAT).statusCode());
        }
        assertTrue(a.received.stream().allMatch(r -> r.headers().get("authorization").equals("Bearer key-2")),
                "key-1 cools for its 30 s: " + a.received.stream().map(r -> r.headers().get("authorization")).toList());

        clock.advance(Duration.ofSeconds(30));
        a.received.clear();
        for (int i = 0; i < 200 && a.received.stream().noneMatch(r -> r.headers().get("authorization").equals("Bearer key-1")); i++) {
            assertEquals(200, chat(CHAT).statusCode());
        }
        assertTrue(a.received.stream().anyMatch(r -> r.headers().get("authorization").equals("Bearer key-1")), "key-1 is back after the cool-down");
    }

    @Test
    void aSessionStaysOnOneTarget() throws Exception {
        start(twoUpstreams("", "{name: m, targets: [{provider: a, model: ma}, {provider: b, model: mb}]}"));
        for (int s = 0; s < 10; s++) {
            a.received.clear();
            b.received.clear();
            for (int i = 0; i < 10; i++) {
                assertEquals(200, chat(CHAT, "session-id", "conversation-" + s).statusCode());
            }
            assertTrue(a.received.isEmpty() != b.received.isEmpty(), "all 10 turns of session " + s + " on one upstream");
        }
    }

    /** Responses and chat clients name their conversation in the body (Codex's prompt_cache_key); Claude Code in its own header. */
    @Test
    void aPromptCacheKeyOrClaudeCodesSessionHeaderStaysOnOneTarget() throws Exception {
        start(twoUpstreams("", "{name: m, targets: [{provider: a, model: ma}, {provider: b, model: mb}]}"));
        java.util.Set<Boolean> spread = new java.util.HashSet<>();
        for (int s = 0; s < 10; s++) {
            a.received.clear();
            b.received.clear();
            String key = "\"prompt_cache_key\":\"conv-" + s + "\"";
            String keyed = "{\"model\":\"m\"," + key + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            for (int i = 0; i < 10; i++) {
                assertEquals(200, chat(keyed).statusCode());
            }
            assertTrue(a.received.isEmpty() != b.received.isEmpty(), "all 10 turns of prompt_cache_key conv-" + s + " on one upstream");
            assertTrue(a.received.stream().allMatch(r -> r.body().contains(key)),
                    "the key reaches an OpenAI upstream as is");
            spread.add(a.received.isEmpty());
            a.received.clear();
            b.received.clear();
            for (int i = 0; i < 10; i++) {
                assertEquals(200, chat(CHAT, "x-claude-code-session-id", "0898d376-b644-4f93-9955-abffc460b2" + s + s).statusCode());
            }
            assertTrue(a.received.isEmpty() != b.received.isEmpty(), "all 10 turns of Claude Code's session " + s + " on one upstream");
        }
        assertEquals(2, spread.size(), "conversations still spread over both targets");
    }

    @Test
    void theCircuitOpensAfterFailuresSkipsTheTargetThenOneProbeClosesIt() throws Exception {
        start(twoUpstreams(", circuit_breaker: {failures: 2, window_seconds: 60, open_seconds: 30}", M_FALLING_BACK));
        a.answer(status(503, null));
        for (int i = 0; i < 2; i++) {
            assertEquals("from-b", text(chat(CHAT)));
        }
        assertEquals(2, a.received.size());
        for (int i = 0; i < 5; i++) {
            assertEquals("from-b", text(chat(CHAT)));
        }
        assertEquals(2, a.received.size(), "open: the primary gets nothing");

        clock.advance(Duration.ofSeconds(30));
        a.answer(answer("from-a"));
        assertEquals("from-a", text(chat(CHAT)), "half-open: the probe goes to the primary and succeeds");
        assertEquals(3, a.received.size());
        for (int i = 0; i < 3; i++) {
            assertEquals("from-a", text(chat(CHAT)), "closed again");
        }
    }

    @Test
    void halfOpenLetsExactlyOneProbeThroughWhileConcurrentRequestsGoToTheFallback() throws Exception {
        start(twoUpstreams(", circuit_breaker: {failures: 1, open_seconds: 30}", M_FALLING_BACK));
        a.answer(status(503, null));
        assertEquals("from-b", text(chat(CHAT)));
        assertEquals(1, a.received.size(), "one failure opened the circuit");

        clock.advance(Duration.ofSeconds(30));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        a.answer((req, res) -> {
            try {
                release.await(20, java.util.concurrent.TimeUnit.SECONDS); // the probe is held while the others arrive
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer("from-a").accept(req, res);
        });
        a.received.clear();
        b.received.clear();
        try (ExecutorService pool = Executors.newFixedThreadPool(10)) {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                answers.add(pool.submit(() -> text(chat(CHAT))));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((a.received.size() + b.received.size() < 10) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, a.received.size(), "one probe");
            assertEquals(9, b.received.size(), "the rest went to the fallback while the probe was out");
            release.countDown();
            List<String> texts = new ArrayList<>();
            for (Future<String> f : answers) {
                texts.add(f.get());
            }
            assertEquals(1, texts.stream().filter("from-a"::equals).count(), texts.toString());
        }
        assertEquals("from-a", text(chat(CHAT)), "the probe's success closed the circuit");
    }

    @Test
    void underSteadyLoadWithOneOfTwoTargetsFailingHalfTheTimeNoClientRequestFails() throws Exception {
        start(twoUpstreams("", "{name: m, targets: [{provider: a, model: ma}, {provider: b, model: mb}]}"));
        AtomicInteger n = new AtomicInteger();
        a.answer((req, res) -> (n.incrementAndGet() % 2 == 0 ? status(503, null) : answer("from-a")).accept(req, res));
        List<Callable<Integer>> clients = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            clients.add(() -> chat(CHAT).statusCode());
        }
        List<Integer> statuses = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (Future<Integer> f : pool.invokeAll(clients)) {
                statuses.add(f.get());
            }
        }
        assertTrue(statuses.stream().allMatch(s -> s == 200), "every client request answered: " + statuses.stream().filter(s -> s != 200).toList());
        assertFalse(a.received.isEmpty(), "the flaky target still got traffic");
        Map<String, Long> counts = gateway.upstreams().attemptCounts();
        assertTrue(counts.getOrDefault("a/ma upstream_error", 0L) > 0, counts.toString());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
