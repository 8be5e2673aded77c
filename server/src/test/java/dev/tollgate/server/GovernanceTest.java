package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.budget.TokenCounter;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import java.math.BigDecimal;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keys, model access, rate limits, budgets and the ledger, in-process against a scripted upstream. */
class GovernanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** $1,000 per million tokens: a token costs exactly $0.001. */
    private static final BigDecimal TOKEN_USD = new BigDecimal("0.001");
    private static final String CHAT = "{\"model\":\"cheap\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final long CHAT_INPUT = TokenCounter.count(CHAT.getBytes(StandardCharsets.UTF_8));
    /** The gate's estimate of one CHAT: counted input plus max_tokens (below the first guess of output). */
    private static final BigDecimal ESTIMATE = TOKEN_USD.multiply(BigDecimal.valueOf(CHAT_INPUT + 10));
    /** Budget of the "budgeted" key: about 50 estimates. */
    private static final BigDecimal BUDGET = ESTIMATE.multiply(BigDecimal.valueOf(50));
    /** The upstream reports a little less input than counted and all 10 output tokens: each estimate covers its request. */
    private static final String USAGE = "{\"prompt_tokens\":" + (CHAT_INPUT - 2) + ",\"completion_tokens\":10,\"total_tokens\":" + (CHAT_INPUT + 8) + "}";
    private static final BigDecimal ACTUAL = TOKEN_USD.multiply(BigDecimal.valueOf(CHAT_INPUT + 8));

    private static FakeUpstream upstream;
    private static TollgateServer gateway;
    private static Path state;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeUpstream();
        state = Files.createTempDirectory("tollgate-governance-");
        String policy = """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: cheap, targets: [{provider: up, model: cheap-up}]}
                  - {name: secret-model, aliases: [hidden], targets: [{provider: up, model: s}]}
                  - {name: other, targets: [{provider: up, model: o}]}
                pricing:
                  - {model: cheap, input: 1000, output: 1000}
                  - {model: other, input: 1000, output: 1000}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers:
                  - {id: acme}
                teams:
                  - {id: infra, customer: acme, deny_models: ["secret-*"]}
                keys:
                  - {id: alice, team: infra, sha256: %s}
                  - {id: old, team: infra, sha256: %s, expires: "2020-01-01"}
                  - {id: gone, team: infra, sha256: %s, revoked: true}
                  - {id: limited, team: infra, sha256: %s, limits: {requests_per_minute: 2}}
                  - {id: busy, team: infra, sha256: %s, max_concurrent: 1}
                  - {id: budgeted, team: infra, sha256: %s, budgets: [{amount_usd: %s, period: daily}, {amount_usd: 8000, period: monthly}]}
                  - {id: narrow, team: infra, sha256: %s, allow_models: ["cheap"]}
                """.formatted(upstream.port(), Secrets.sha256("admin-secret"), Secrets.sha256("k-alice"), Secrets.sha256("k-old"),
                Secrets.sha256("k-gone"), Secrets.sha256("k-limited"), Secrets.sha256("k-busy"), Secrets.sha256("k-budgeted"),
                BUDGET.toPlainString(), Secrets.sha256("k-narrow"));
        var snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.received.clear();
        upstream.answer(chatAnswer());
    }

    private static java.util.function.BiConsumer<io.helidon.webserver.http.ServerRequest, io.helidon.webserver.http.ServerResponse> chatAnswer() {
        return FakeUpstream.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":" + USAGE + "}");
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path)).header("content-type", "application/json");
    }

    private static HttpResponse<String> chat(String key, String body) throws Exception {
        HttpRequest.Builder b = request("/v1/chat/completions");
        if (key != null) {
            b.header("authorization", "Bearer " + key);
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("error");
    }

    private static JsonNode adminUsage(String by, String period) throws Exception {
        HttpResponse<String> r = HTTP.send(request("/admin/usage?by=" + by + "&period=" + period)
                .header("authorization", "Bearer admin-secret").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode row(JsonNode report, String column, String name) {
        return StreamSupport.stream(report.path("rows").spliterator(), false)
                .filter(r -> r.path(column).asText().equals(name)).findFirst().orElse(JSON.createObjectNode());
    }

    @Test
    void eachKindOfBadKeyIsA401SayingWhichWithoutEchoingTheKey() throws Exception {
        Map<String, String> cases = Map.of(
                "", "missing_api_key",
                "k-nobody-knows-this", "invalid_api_key",
                "k-old", "expired_api_key",
                "k-gone", "revoked_api_key");
        for (var c : cases.entrySet()) {
            HttpResponse<String> r = chat(c.getKey().isEmpty() ? null : c.getKey(), CHAT);
            assertEquals(401, r.statusCode(), r.body());
            assertEquals(c.getValue(), error(r).path("code").asText(), r.body());
            if (!c.getKey().isEmpty()) {
                assertFalse(r.body().contains(c.getKey()), "the key must never be echoed: " + r.body());
            }
        }
        assertTrue(error(chat("k-old", CHAT)).path("message").asText().contains("expired on 2020-01-01"));
        assertTrue(error(chat("k-gone", CHAT)).path("message").asText().contains("revoked"));
        assertTrue(upstream.received.isEmpty(), "nothing refused reaches the provider");
    }

    @Test
    void theRequestLogNamesTheKeyOfEveryRefusalWhoseKeyThePolicyHas() throws Exception {
        assertEquals(401, chat("k-old", CHAT).statusCode());
        assertEquals(403, chat("k-alice", CHAT.replace("\"cheap\"", "\"secret-model\"")).statusCode());
        HttpResponse<String> unknown = chat("k-nobody-knows-this", CHAT);
        assertEquals(401, unknown.statusCode());

        JsonNode expired = ObservabilityTest.await("the expired key's 401 in the log", () -> newest("?key=old&status=401"));
        assertEquals("infra", expired.path("team").asText(), expired.toString());
        JsonNode denied = ObservabilityTest.await("alice's 403 in the log", () -> newest("?key=alice&status=403"));
        assertEquals("secret-model", denied.path("requested_model").asText(), denied.toString());
        String unknownId = unknown.headers().firstValue("x-tollgate-request-id").orElseThrow();
        JsonNode anonymous = ObservabilityTest.await("the unknown key's 401 in the log", () -> logged("/" + unknownId));
        assertTrue(anonymous.path("key").isNull() || anonymous.path("key").isMissingNode(), "an unknown key names nobody: " + anonymous);
    }

    /** {@code GET /admin/requests<rest>} as JSON, or null until it answers 200. */
    private static JsonNode logged(String rest) {
        try {
            HttpResponse<String> r = ObservabilityTest.get(gateway.port(), "/admin/requests" + rest, "admin-secret");
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The newest record a search finds, or null while there is none. */
    private static JsonNode newest(String query) {
        JsonNode found = logged(query);
        return found == null || found.path("requests").isEmpty() ? null : found.path("requests").get(0);
    }

    @Test
    void theKeyIsReadFromWhereEachClientPutsIt() throws Exception {
        for (var header : List.of(Map.entry("x-api-key", "k-alice"), Map.entry("x-goog-api-key", "k-alice"))) {
            HttpResponse<String> r = HTTP.send(request("/v1/chat/completions").header(header.getKey(), header.getValue())
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), header.getKey() + ": " + r.body());
        }
        HttpResponse<String> r = HTTP.send(request("/v1/chat/completions?key=k-alice").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void aDeniedModelIsA403NamingModelAndRuleAndModelsListsOnlyAllowedOnes() throws Exception {
        HttpResponse<String> denied = chat("k-alice", CHAT.replace("cheap", "secret-model"));
        assertEquals(403, denied.statusCode());
        assertEquals("model_not_allowed", error(denied).path("code").asText());
        String message = error(denied).path("message").asText();
        assertTrue(message.contains("'secret-model'") && message.contains("deny_models 'secret-*' of team 'infra'"), message);

        HttpResponse<String> alias = chat("k-alice", CHAT.replace("cheap", "hidden"));
        assertEquals(403, alias.statusCode(), "an alias does not get round a deny: " + alias.body());
        assertTrue(error(alias).path("message").asText().contains("'hidden' is an alias of 'secret-model'"), alias.body());

        HttpResponse<String> narrow = chat("k-narrow", CHAT.replace("cheap", "other"));
        assertEquals(403, narrow.statusCode());
        assertTrue(error(narrow).path("message").asText().contains("allow_models [cheap] of key 'narrow'"), narrow.body());

        HttpResponse<String> models = HTTP.send(request("/v1/models").header("authorization", "Bearer k-alice").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        List<String> ids = new ArrayList<>();
        JSON.readTree(models.body()).path("data").forEach(m -> ids.add(m.path("id").asText()));
        assertEquals(List.of("cheap", "other"), ids);
        HttpResponse<String> anonymous = HTTP.send(request("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
    }

    @Test
    void aRateLimitIsA429WithRetryAfterAndRateLimitHeaders() throws Exception {
        HttpResponse<String> first = chat("k-limited", CHAT);
        assertEquals(200, first.statusCode());
        assertEquals("2", first.headers().firstValue("x-ratelimit-limit-requests").orElseThrow());
        assertEquals("1", first.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow(), "served answers carry the headers too");
        assertEquals(200, chat("k-limited", CHAT).statusCode());
        HttpResponse<String> refused = chat("k-limited", CHAT);
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("rate_limit_exceeded", error(refused).path("code").asText());
        assertTrue(error(refused).path("message").asText().contains("2 requests per minute"), refused.body());
        // 2 per minute refill one every 30 s: the next request fits in at most 30 s.
        long retryAfter = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 30, "Retry-After " + retryAfter);
        assertEquals("2", refused.headers().firstValue("x-ratelimit-limit-requests").orElseThrow());
        assertEquals("0", refused.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
        String reset = refused.headers().firstValue("x-ratelimit-reset-requests").orElseThrow();
        assertTrue(reset.matches("\\d+s|\\d+m\\d+s"), reset);
        assertEquals(2, upstream.received.size(), "the refused request never reached the provider");
    }

    @Test
    void aKeyOverItsConcurrencyCapGetsA429UntilOneFinishes() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        upstream.answer((req, res) -> {
            inside.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            chatAnswer().accept(req, res);
        });
        CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(request("/v1/chat/completions").header("authorization", "Bearer k-busy")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(inside.await(20, TimeUnit.SECONDS));
        HttpResponse<String> second = chat("k-busy", CHAT);
        assertEquals(429, second.statusCode(), second.body());
        assertEquals("1", second.headers().firstValue("retry-after").orElseThrow());
        assertTrue(error(second).path("message").asText().contains("max_concurrent"), second.body());
        release.countDown();
        assertEquals(200, first.get(20, TimeUnit.SECONDS).statusCode());
        upstream.answer(chatAnswer());
        assertEquals(200, chat("k-busy", CHAT).statusCode(), "the slot is free again");
    }

    /**
     * 200 requests at once against a budget of about 50 estimates. The upstream holds its answers until
     * 40 requests are inside it, so reservations really overlap. Spend never passes the budget (each
     * estimate covers its request here), at least 50 are served, and every refusal is a clean 400.
     */
    @Test
    void twoHundredConcurrentRequestsNeverOverspendABudgetOfAboutFifty() throws Exception {
        CountDownLatch crowd = new CountDownLatch(40);
        upstream.answer((req, res) -> {
            crowd.countDown();
            try {
                crowd.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            chatAnswer().accept(req, res);
        });
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.add(HTTP.sendAsync(request("/v1/chat/completions").header("authorization", "Bearer k-budgeted")
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        int served = 0;
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            if (r.statusCode() == 200) {
                served++;
                continue;
            }
            assertEquals(400, r.statusCode(), r.body());
            assertEquals("budget_exceeded", error(r).path("code").asText(), r.body());
            assertTrue(error(r).path("message").asText().startsWith("Daily budget of key budgeted "), r.body());
        }
        JsonNode mine = row(adminUsage("key", "daily"), "key", "budgeted");
        BigDecimal spent = mine.path("spent_usd").decimalValue();
        assertEquals(served, mine.path("requests").asInt(), "one ledger row per served request: " + mine);
        assertEquals(0, ACTUAL.multiply(BigDecimal.valueOf(served)).compareTo(spent), "spend is the real cost of what was served: " + mine);
        assertTrue(spent.compareTo(BUDGET) <= 0, "spent " + spent + " of " + BUDGET);
        assertTrue(served >= 50 && served < 200, "served " + served + " (a budget of 50 estimates, each settling a little lower)");
        System.out.println("200 concurrent vs a budget of 50 estimates: served " + served + ", spent $" + spent + " of $" + BUDGET);
    }

    @Test
    void theSpendIsCommittedBeforeTheLastBytesReachTheClient() throws Exception {
        upstream.answer(upstream.sse(List.of(
                "data: {\"choices\":[{\"delta\":{\"content\":\"o\"}}]}\n\n",
                "data: {\"choices\":[{\"delta\":{\"content\":\"k\"},\"finish_reason\":\"stop\"}]}\n\n",
                "data: {\"choices\":[],\"usage\":" + USAGE + "}\n\n",
                "data: [DONE]\n\n"), 0));
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> r = chat("k-alice", CHAT.replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\""));
            assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
            // Read the moment the answer is complete: settled, nothing in flight.
            JsonNode mine = row(adminUsage("key", "total"), "key", "alice");
            assertEquals(0, BigDecimal.ZERO.compareTo(mine.path("in_flight_usd").decimalValue()), mine.toString());
            assertTrue(mine.path("spent_usd").decimalValue().compareTo(ACTUAL.multiply(BigDecimal.valueOf(i))) >= 0, mine.toString());
        }
    }

    private static final String[] RELAYED_WORDS = {"Tollgate", " counts", " what", " was", " relayed"};

    @Test
    void aStreamCutShortIsChargedForWhatWasRelayed() throws Exception {
        upstream.answer((req, res) -> {
            res.header("content-type", "text/event-stream");
            try {
                var out = res.outputStream();
                for (int i = 0; i < 5; i++) {
                    out.write(("data: {\"choices\":[{\"delta\":{\"content\":\"" + RELAYED_WORDS[i] + "\"}}]}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new io.helidon.webserver.CloseConnectionException("upstream dies mid-stream");
        });
        JsonNode before = row(adminUsage("key", "total"), "key", "alice");
        HttpResponse<String> r = chat("k-alice", CHAT.replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\""));
        assertTrue(r.body().contains("broke off the stream"), r.body());
        JsonNode after = row(adminUsage("key", "total"), "key", "alice");
        // The output relayed is what the client received, counted as tokens (o200k), not a guess per delta.
        long relayed = dev.tollgate.providers.usage.RelayedOutput.tokens(String.join("", RELAYED_WORDS));
        assertTrue(relayed >= 5, "five words are at least five tokens: " + relayed);
        assertEquals(before.path("output_tokens").asLong() + relayed, after.path("output_tokens").asLong(), "the tokens relayed: " + after);
        BigDecimal charged = after.path("spent_usd").decimalValue().subtract(before.path("spent_usd").decimalValue());
        assertEquals(0, TOKEN_USD.multiply(BigDecimal.valueOf(CHAT_INPUT + relayed)).compareTo(charged), "counted input + output relayed: " + charged);
    }

    @Test
    void anAnswerWithoutUsageIsChargedTheEstimateNotNothing() throws Exception {
        upstream.answer(FakeUpstream.json(200, "{\"id\":\"c2\",\"choices\":[]}"));
        JsonNode before = row(adminUsage("key", "total"), "key", "alice");
        assertEquals(200, chat("k-alice", CHAT).statusCode());
        JsonNode after = row(adminUsage("key", "total"), "key", "alice");
        BigDecimal charged = after.path("spent_usd").decimalValue().subtract(before.path("spent_usd").decimalValue());
        assertEquals(0, ESTIMATE.compareTo(charged), "charged " + charged + ", estimate " + ESTIMATE);
    }

    @Test
    void aKeySeesItsOwnSpendBudgetsAndLimits() throws Exception {
        HttpResponse<String> r = HTTP.send(request("/v1/usage").header("authorization", "Bearer k-budgeted").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode usage = JSON.readTree(r.body());
        assertEquals("budgeted", usage.path("key").asText());
        assertEquals("infra", usage.path("team").asText());
        JsonNode budget = usage.path("budgets").get(0);
        assertEquals("daily", budget.path("period").asText());
        assertEquals(0, BUDGET.compareTo(budget.path("limit_usd").decimalValue()));
        assertTrue(budget.has("remaining_usd") && budget.has("resets"), budget.toString());
        assertTrue(usage.path("spend").path("monthly").has("spent_usd"), r.body());
        // Plain decimals, as people and spreadsheets read them: 8000, never 8E+3.
        assertTrue(r.body().contains("\"limit_usd\":8000,"), r.body());
        assertFalse(java.util.regex.Pattern.compile("\\d[eE][+-]?\\d").matcher(r.body()).find(), r.body());

        HttpResponse<String> limits = HTTP.send(request("/v1/usage").header("authorization", "Bearer k-limited").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("requests_per_minute", JSON.readTree(limits.body()).path("limits").get(0).path("limit").asText(), limits.body());
        HttpResponse<String> noAdmin = HTTP.send(request("/admin/usage?by=team").header("authorization", "Bearer k-alice").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, noAdmin.statusCode(), "a virtual key is not an admin token");
    }
}
