package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Refusals as real clients show them: the openai-java SDK and the real Codex CLI against the gateway
 * process with a policy that declares keys, limits and budgets.
 */
class GovernanceIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("governance", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: gpt-5.5, targets: [{provider: sim, model: gpt-5.5}]}
                  - {name: gpt-4o, targets: [{provider: sim, model: gpt-4o}]}
                pricing:
                  - {model: gpt-5.5, input: 1.25, output: 10}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams:
                  - {id: infra, customer: acme, deny_models: ["gpt-4*"]}
                keys:
                  - {id: dev, team: infra, sha256: %s}
                  - {id: limited, team: infra, sha256: %s, limits: {requests_per_minute: 1}}
                  - {id: broke, team: infra, sha256: %s, budgets: [{amount_usd: 0.0001, period: monthly}]}
                  - {id: throttled, team: infra, sha256: %s, limits: {requests_per_minute: 1}}
                """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"), KeyHash.sha256("tg-limited"), KeyHash.sha256("tg-broke"), KeyHash.sha256("tg-throttled"))).clearingSim(StackExtension.REQUESTS);

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello.").build();
    }

    /** Codex with the gateway as a custom provider, and no retries of its own so one run is one request. */
    private static Cli.Result codex(String key, String model) throws Exception {
        return Cli.codexExec(stack.get(), model, Cli.codexViaGateway(stack.get(), ",request_max_retries=0,stream_max_retries=0"),
                Map.of("GW_API_KEY", key), "say hi");
    }

    private static int simCalls() throws Exception {
        return JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body()).size();
    }

    @Test
    void sdkShowsEachRefusalsReason() throws Exception {
        OpenAIClient unknown = stack.openAi("tg-not-a-key");
        OpenAIClient dev = stack.openAi("tg-dev");
        OpenAIClient broke = stack.openAi("tg-broke");
        OpenAIClient limited = stack.openAi("tg-limited");
        UnauthorizedException e401 = assertThrows(UnauthorizedException.class, () -> unknown.chat().completions().create(chat("gpt-5.5")));
        assertTrue(e401.getMessage().contains("is not a key of this gateway's policy"), e401.getMessage());
        assertEquals("invalid_api_key", e401.code().orElseThrow());

        PermissionDeniedException e403 = assertThrows(PermissionDeniedException.class, () -> dev.chat().completions().create(chat("gpt-4o")));
        assertTrue(e403.getMessage().contains("deny_models 'gpt-4*' of team 'infra'"), e403.getMessage());

        BadRequestException budget = assertThrows(BadRequestException.class, () -> broke.chat().completions().create(chat("gpt-5.5")));
        assertTrue(budget.getMessage().contains("Monthly budget of key broke would be exceeded"), budget.getMessage());
        assertEquals("budget_exceeded", budget.code().orElseThrow());

        limited.chat().completions().create(chat("gpt-5.5"));
        RateLimitException e429 = assertThrows(RateLimitException.class, () -> limited.chat().completions().create(chat("gpt-5.5")));
        assertTrue(e429.getMessage().contains("1 requests per minute"), e429.getMessage());
        assertTrue(Long.parseLong(e429.headers().values("retry-after").getFirst()) >= 1);
        assertEquals("1", e429.headers().values("x-ratelimit-limit-requests").getFirst());
        assertEquals(1, simCalls(), "only the one admitted request reached the provider");
    }

    @Test
    void codexPrintsTheReasonOf401And403AndBudget() throws Exception {
        Cli.Result unknown = codex("tg-not-a-key", "gpt-5.5");
        assertEquals(1, unknown.exit(), unknown.all());
        assertTrue(unknown.stderr().contains("401 Unauthorized: The virtual key sent (sha256"), unknown.all());
        assertTrue(!unknown.all().contains("tg-not-a-key"), "the key is never echoed");

        Cli.Result denied = codex("tg-dev", "gpt-4o");
        assertEquals(1, denied.exit(), denied.all());
        assertTrue(denied.stderr().contains("403 Forbidden: The model 'gpt-4o' is not allowed for this key: deny_models 'gpt-4*' of team 'infra'"),
                denied.all());

        // A 400 is the one status Codex neither retries nor hides: it prints the body once and stops.
        Cli.Result broke = codex("tg-broke", "gpt-5.5");
        assertEquals(1, broke.exit(), broke.all());
        assertTrue(broke.stderr().contains("Monthly budget of key broke would be exceeded"), broke.all());
        assertTrue(broke.stderr().contains("resets "), broke.all());
        assertEquals(0, simCalls(), "no refused request reached the provider");
    }

    /** The real Claude Code on the Anthropic surface, its own retries left at their default. */
    private static Cli.Result claude(String key, String model) throws Exception {
        return Cli.run(List.of(Cli.claude().toString(), "-p", "--model", model, "say hi"),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"), "ANTHROPIC_API_KEY", key,
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
                Cli.home(stack.get(), "claude"));
    }

    /**
     * The request log's records of {@code key}, once a marker request sent after everything else is in
     * it: one writer stores records in the order they finished, so none is still on its way.
     */
    private static List<JsonNode> loggedRequests(String key) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> marker = http.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/chat/completions")))
                .header("authorization", "Bearer tg-" + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5.5\",\"messages\":[{\"role\":\"user\",\"content\":\"marker\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        String markerId = marker.headers().firstValue("x-tollgate-request-id").orElseThrow();
        HttpRequest search = HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/requests?key=" + key + "&limit=100")))
                .header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<JsonNode> rows = new java.util.ArrayList<>();
            JSON.readTree(http.send(search, HttpResponse.BodyHandlers.ofString()).body()).path("requests").forEach(rows::add);
            if (rows.stream().anyMatch(r -> r.path("id").asText().equals(markerId))) {
                return rows.stream().filter(r -> !r.path("id").asText().equals(markerId)).toList();
            }
            assertTrue(System.nanoTime() < deadline, "the marker request " + markerId + " never reached the request log: " + rows);
            Thread.sleep(20);
        }
    }

    /**
     * Claude Code prints a budget refusal's reason once and stops: a 400, which its client does not
     * retry (a 429 or 5xx it would retry up to ten times, hiding the reason meanwhile).
     */
    @Test
    void claudeCodePrintsTheReasonOfABudgetRefusalOnceWithoutRetrying() throws Exception {
        Cli.Result broke = claude("tg-broke", "gpt-5.5");
        assertEquals(1, broke.exit(), broke.all());
        assertTrue(broke.all().contains("API Error: 400"), broke.all());
        assertTrue(broke.all().contains("Monthly budget of key broke would be exceeded"), broke.all());
        assertTrue(broke.all().contains("resets "), broke.all());
        assertEquals(0, simCalls(), "no refused request reached the provider");

        List<JsonNode> logged = loggedRequests("broke").stream().filter(r -> r.path("surface").asText().equals("anthropic")).toList();
        assertEquals(1, logged.size(), "Claude Code sent the refused request once, and the log names its key: " + logged);
        assertEquals(400, logged.getFirst().path("status").asInt(), logged.toString());
    }

    /**
     * Codex 0.169 never prints a 429's body (verified: "exceeded retry limit, last status: 429 Too Many
     * Requests", with or without Retry-After), and retries a 429 only when Retry-After is present; the
     * reason is in the body for SDKs and in the gateway's answer.
     */
    @Test
    void codexGetsA429WithRetryAfter() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/responses")))
                .header("authorization", "Bearer tg-throttled").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5.5\",\"input\":\"hi\"}")).build();
        assertEquals(200, http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
        Cli.Result limited = codex("tg-throttled", "gpt-5.5");
        assertEquals(1, limited.exit(), limited.all());
        assertTrue(limited.stderr().contains("429 Too Many Requests"), limited.all());
        assertEquals(1, simCalls(), "Codex's request was refused at the gateway");
        HttpResponse<String> refused = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(429, refused.statusCode());
        long retryAfter = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "1 request per minute refills within 60 s: " + retryAfter);
        assertEquals("0", refused.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
    }

    @Test
    void usageForTheKeyAndForThePlatformTeam() throws Exception {
        OpenAIClient dev = stack.openAi("tg-dev");
        dev.chat().completions().create(chat("gpt-5.5"));
        HttpClient http = HttpClient.newHttpClient();
        JsonNode own = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/usage")))
                .header("authorization", "Bearer tg-dev").build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("dev", own.path("key").asText());
        assertTrue(own.path("spend").path("monthly").path("spent_usd").decimalValue().signum() > 0, own.toString());

        Cli.Result table = Cli.run(List.of(Stack.HOME.resolve("bin/tollgate").toString(), "usage", "--by", "team",
                        "--url", stack.get().gateway("")), Map.of("TOLLGATE_ADMIN_TOKEN", "admin-token"),
                Files.createTempDirectory(stack.get().workDir, "cli-"));
        assertEquals(0, table.exit(), table.all());
        assertTrue(table.stdout().lines().anyMatch(l -> l.startsWith("infra ")), table.all());
        assertTrue(table.stdout().contains("SPENT_USD"), table.all());
    }
}
