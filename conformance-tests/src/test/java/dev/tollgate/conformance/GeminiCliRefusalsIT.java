package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Refusals as the real Gemini CLI prints them. In headless text mode it always ends an API error with
 * "An unexpected critical error occurred:[object Object]" (a plain object thrown inside the CLI); the
 * reason must be on the line before, "Error when talking to Gemini API ...". These tests assert that
 * it is there, and that a refusal costs one request, not the CLI's ten retries.
 */
class GeminiCliRefusalsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Without -m the CLI first asks its router model (non-streamed generateContent), then streams from its default model. */
    private static final String ROUTER_MODEL = "gemini-3.5-flash-lite";
    private static final String DEFAULT_MODEL = "gemini-3.1-pro-preview";

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("gemini-refusals", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: gemini-2.5-flash, aliases: [%s, %s], targets: [{provider: sim, model: gpt-5.5}]}
                pricing:
                  - {model: gemini-2.5-flash, input: 1.25, output: 10}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: broke, team: infra, sha256: %s, budgets: [{amount_usd: 0.0001, period: monthly}]}
                  - {id: spent, team: infra, sha256: %s, budgets: [{amount_usd: 0.0001, period: total}]}
                  - {id: limited, team: infra, sha256: %s, limits: {requests_per_hour: 1}}
                """.formatted(ROUTER_MODEL, DEFAULT_MODEL, KeyHash.sha256("tg-broke"), KeyHash.sha256("tg-spent"),
                KeyHash.sha256("tg-limited"))).clearingSim(StackExtension.REQUESTS);

    /** Gemini CLI headless with its default retries (no maxAttempts): a refusal must stop it by itself. */
    private static Cli.Result gemini(String key, String... model) throws Exception {
        Path home = Cli.home(stack.get(), "gemini");
        Files.writeString(Files.createDirectories(home.resolve(".gemini")).resolve("settings.json"), """
                {"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false},
                 "general":{"enableAutoUpdate":false,"enableAutoUpdateNotification":false}}
                """);
        List<String> command = new ArrayList<>(List.of(Cli.gemini().toString(), "--skip-trust"));
        command.addAll(List.of(model));
        command.addAll(List.of("-p", "say hi"));
        return Cli.run(command, Map.of("GOOGLE_GEMINI_BASE_URL", stack.get().gateway("/genai"), "GEMINI_API_KEY", key,
                "GEMINI_CLI_NO_RELAUNCH", "true"), home);
    }

    private static HttpResponse<String> generate(String key, String method) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1beta/models/gemini-2.5-flash:" + method)))
                .header("x-goog-api-key", key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void spentBudgetIsAQuotaErrorWhoseReasonTheCliPrints_streamedAndNot() throws Exception {
        for (String method : List.of("generateContent", "streamGenerateContent?alt=sse")) {
            HttpResponse<String> r = generate("tg-broke", method);
            assertEquals(429, r.statusCode(), method + ": " + r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("RESOURCE_EXHAUSTED", error.path("status").asText());
            assertTrue(error.path("message").asText().startsWith("Monthly budget of key broke"), r.body());
            assertEquals("type.googleapis.com/google.rpc.RetryInfo", error.path("details").get(0).path("@type").asText());
            assertTrue(error.path("details").get(0).path("retryDelay").asText().matches("\\d+s"), r.body());
        }

        // Streamed (-m: straight to streamGenerateContent).
        Cli.Result streamed = gemini("tg-broke", "-m", "gemini-2.5-flash");
        assertNotEquals(0, streamed.exit(), streamed.all());
        assertTrue(streamed.stderr().contains("TerminalQuotaError: Monthly budget of key broke would be exceeded"), streamed.all());
        assertTrue(streamed.stderr().contains("resets "), streamed.all());

        // Not streamed: the router's generateContent is refused first, with the same reason.
        Cli.Result routed = gemini("tg-broke");
        assertNotEquals(0, routed.exit(), routed.all());
        assertTrue(routed.stderr().contains("Failed to generate content: Monthly budget of key broke"), routed.all());
        assertTrue(routed.stderr().contains("TerminalQuotaError: Monthly budget of key broke"), routed.all());
        assertEquals(0, SimRequests.to(stack.get(), "").size(), "nothing reached the provider: " + SimRequests.all(stack.get()));
    }

    @Test
    void aTotalBudgetThatNeverResetsFailsOnceWithItsReason() throws Exception {
        HttpResponse<String> r = generate("tg-spent", "generateContent");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("FAILED_PRECONDITION", JSON.readTree(r.body()).path("error").path("status").asText());

        Cli.Result result = gemini("tg-spent", "-m", "gemini-2.5-flash");
        assertNotEquals(0, result.exit(), result.all());
        assertTrue(result.stderr().contains("Total budget of key spent would be exceeded"), result.all());
        assertTrue(result.stderr().contains("does not reset: ask the platform team to raise it"), result.all());
    }

    @Test
    void unknownKeyPrintsWhyItWasRefused() throws Exception {
        Cli.Result result = gemini("tg-nobody-knows-me", "-m", "gemini-2.5-flash");
        assertNotEquals(0, result.exit(), result.all());
        assertTrue(result.stderr().contains("\"code\":401"), result.all());
        assertTrue(result.stderr().contains("is not a key of this gateway's policy"), result.all());
    }

    @Test
    void rateLimitPrintsItsReasonAndStopsWhenTheWaitIsLong() throws Exception {
        Cli.Result first = gemini("tg-limited", "-m", "gemini-2.5-flash");
        assertEquals(0, first.exit(), first.all());
        Cli.Result second = gemini("tg-limited", "-m", "gemini-2.5-flash");
        assertNotEquals(0, second.exit(), second.all());
        // An hourly limit: minutes to wait, over the CLI's five-minute retry ceiling, so it stops at once.
        assertTrue(second.stderr().contains("TerminalQuotaError: Rate limit of key 'limited' reached"), second.all());
        assertEquals(1, SimRequests.to(stack.get(), "").size(), "only the first run reached the provider: " + SimRequests.all(stack.get()));
    }
}
