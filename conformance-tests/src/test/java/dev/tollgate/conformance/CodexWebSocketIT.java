package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * The real Codex CLI with its built-in {@code openai} provider pointed at the gateway: it speaks the
 * Responses WebSocket, and every turn reaches the provider (simulator) governed like a POST.
 */
class CodexWebSocketIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("codex-ws", """
            providers:
              - id: sim
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: gpt-5.5
                targets: [{provider: sim, model: gpt-5.5}]
              - name: anthropic/claude-sonnet-4-5
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
            pricing:
              - {model: gpt-5.5, input: 1.25, output: 10}
              - {model: anthropic/claude-sonnet-4-5, input: 3, output: 15}
            admins:
              - {id: ops, role: viewer, sha256: %s}
            customers: [{id: acme}]
            teams:
              - {id: infra, customer: acme}
            keys:
              - {id: dev, team: infra, sha256: %s, budgets: [{amount_usd: 100, period: daily}]}
            """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"))).clearingSim(StackExtension.REQUESTS);

    /** Codex's built-in provider against the gateway's /openai base URL: WebSocket first, as against OpenAI. */
    static Cli.Result codexBuiltIn(String model, List<String> more, String prompt) throws Exception {
        List<String> config = new ArrayList<>(List.of("-c", "openai_base_url=\"http://127.0.0.1:" + stack.get().gatewayPort + "/openai\""));
        config.addAll(more);
        return Cli.codexExec(stack.get(), model, config, Map.of("CODEX_API_KEY", "tg-dev"), prompt);
    }

    /** What the simulator received on a path ending so, oldest first. */
    static List<JsonNode> simCalls(String suffix) throws Exception {
        return SimRequests.to(stack.get(), suffix);
    }

    /** The request log's rows of key dev since {@code since}, newest first, once {@code n} of them are there. */
    static List<JsonNode> logged(java.time.Instant since, int n) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest search = HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/requests?key=dev&limit=200")))
                .header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<JsonNode> rows = new ArrayList<>();
            JSON.readTree(http.send(search, HttpResponse.BodyHandlers.ofString()).body()).path("requests").forEach(r -> {
                if (!java.time.Instant.parse(r.path("time").asText()).isBefore(since)) {
                    rows.add(r);
                }
            });
            if (rows.size() >= n || System.nanoTime() > deadline) {
                return rows;
            }
            Thread.sleep(20); // the log is written off the request path
        }
    }

    private static void assertNoErrorLine(Cli.Result result) {
        for (String line : (result.stdout() + "\n" + result.stderr()).split("\n")) {
            assertFalse(line.contains("ERROR"), "Codex printed an error line: " + line + "\n" + result.all());
        }
    }

    @Test
    void openAiModelDoesAToolRoundTripOverTheWebSocket() throws Exception {
        java.time.Instant start = java.time.Instant.now();
        Cli.Result result = codexBuiltIn("gpt-5.5", List.of(), Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), result.all());
        assertNoErrorLine(result);

        List<JsonNode> calls = simCalls("/v1/responses");
        assertEquals(2, calls.size(), "one turn asks for the tool, one carries its output: " + SimRequests.all(stack.get()));
        JsonNode second = calls.get(1).path("body");
        assertFalse(second.has("previous_response_id"), "the provider gets the whole history, not a chain it cannot know");
        assertTrue(second.path("input").toString().contains("function_call_output") && second.path("input").toString().contains("tollgate-tool-ok"),
                "Codex ran the command and sent its output: " + second.path("input"));
        assertTrue(second.path("input").toString().contains("You are Codex"), "the history starts with Codex's instructions");

        List<JsonNode> mine = logged(start, 2);
        assertEquals(2, mine.size(), mine.toString());
        for (JsonNode row : mine) {
            assertEquals("openai-websocket", row.path("surface").asText(), "served over the socket: " + row);
            assertEquals(200, row.path("status").asInt());
            assertTrue(row.path("cost_usd").asDouble() > 0, "charged: " + row);
        }
    }

    @Test
    void claudeModelDoesAToolRoundTripOverTheWebSocket() throws Exception {
        java.time.Instant start = java.time.Instant.now();
        Cli.Result result = codexBuiltIn("anthropic/claude-sonnet-4-5", List.of(), Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), result.all());
        assertNoErrorLine(result);

        List<JsonNode> calls = simCalls("/v1/messages");
        assertEquals(2, calls.size(), SimRequests.all(stack.get()));
        JsonNode messages = calls.get(1).path("body").path("messages");
        assertTrue(messages.toString().contains("tool_result") && messages.toString().contains("tollgate-tool-ok"), messages.toString());
        assertTrue(calls.get(1).path("body").path("system").toString().contains("Codex"), "the whole history, instructions included");
        List<JsonNode> rows = logged(start, 2);
        assertEquals(2, rows.size(), rows.toString());
        assertEquals("openai-websocket", rows.getFirst().path("surface").asText(), rows.getFirst().toString());
    }

    /** Codex compacts remotely once a turn's usage passes this many tokens; its first request alone is ~10,000. */
    private static final List<String> SMALL_WINDOW = List.of("-c", "model_auto_compact_token_limit=2000");

    private static boolean endsWithTrigger(JsonNode body) {
        JsonNode input = body.path("input");
        return input.isArray() && !input.isEmpty() && "compaction_trigger".equals(input.get(input.size() - 1).path("type").asText());
    }

    @Test
    void aCompactionOnAnOpenAiModelPassesThroughAndTheSessionGoesOn() throws Exception {
        Cli.Result result = codexBuiltIn("gpt-5.5", SMALL_WINDOW, Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the session went on after the compaction: " + result.all());
        assertNoErrorLine(result);

        List<JsonNode> calls = simCalls("/v1/responses");
        int trigger = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (endsWithTrigger(calls.get(i).path("body"))) {
                trigger = i;
            }
        }
        assertTrue(trigger >= 0, "Codex asked for a compaction, and it reached the provider unchanged: " + SimRequests.all(stack.get()));
        assertTrue(trigger < calls.size() - 1, "a turn followed the compaction");
        String after = calls.getLast().path("body").path("input").toString();
        assertTrue(after.contains("\"type\":\"compaction\"") && after.contains("sim-compaction:"),
                "the provider's own compaction item came back to it unchanged: " + after);
    }

    @Test
    void aCompactionOnAClaudeModelIsTheGatewaysOwnAndTheSessionGoesOn() throws Exception {
        java.time.Instant start = java.time.Instant.now();
        Cli.Result result = codexBuiltIn("anthropic/claude-sonnet-4-5", SMALL_WINDOW, Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the session went on after the compaction: " + result.all());
        assertNoErrorLine(result);

        List<JsonNode> calls = simCalls("/v1/messages");
        int summary = -1;
        for (int i = 0; i < calls.size(); i++) {
            JsonNode messages = calls.get(i).path("body").path("messages");
            if (messages.get(messages.size() - 1).toString().contains("Context compaction")) {
                summary = i;
                assertEquals("none", calls.get(i).path("body").path("tool_choice").path("type").asText(),
                        "a summary, not an action: " + calls.get(i).path("body").path("tool_choice"));
            }
        }
        assertTrue(summary >= 0, "the gateway asked the session's model for a summary: " + SimRequests.all(stack.get()));
        assertTrue(summary < calls.size() - 1, "a turn followed the compaction");
        String after = calls.getLast().path("body").path("messages").toString();
        assertTrue(after.contains("compacted by the gateway"), "the sealed item was opened into the summary: " + after);
        assertFalse(after.contains("tgc1."), "the sealed form never reaches a provider");

        List<JsonNode> rows = logged(start, calls.size());
        assertEquals(calls.size(), rows.size(), "the summary call is logged and charged like any other: " + rows);
    }
}
