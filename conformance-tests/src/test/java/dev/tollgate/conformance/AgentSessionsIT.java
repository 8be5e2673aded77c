package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Agent sessions with the real clients: a multi-turn Codex task and a Claude Code task are one session
 * each in /admin/sessions with the totals the simulator reported; a session budget stops a real Codex
 * task mid-way; the runaway brake pauses a looping Codex task and an operator's resume lets it go on.
 */
class AgentSessionsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN = "admin-token";
    private static final String OPERATOR = "operator-token";

    // $1 per million input tokens, output free: a Codex turn (~10k tokens of instructions and tools) costs about a cent.
    @RegisterExtension
    static final StackExtension stack = StackExtension.of("sessions", """
            providers:
              - id: sim
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
                settings: {api: responses}
            models:
              - name: gpt-5.5
                targets: [{provider: sim, model: gpt-5.5}]
            pricing:
              - {model: gpt-5.5, input: 1, output: 0}
            admins:
              - {id: watcher, role: viewer, sha256: %s}
              - {id: ops, role: operator, sha256: %s}
            customers:
              - {id: acme}
            teams:
              - {id: agents, customer: acme}
              - {id: loopy, customer: acme, brake: {repeated_tool_call: 3, pause_minutes: 30}}
            keys:
              - {id: dev, team: agents, sha256: %s}
              - {id: claude, team: agents, sha256: %s}
              - {id: capped, team: agents, sha256: %s, budgets: [{amount_usd: 0.03, period: session}]}
              - {id: looper, team: loopy, sha256: %s}
            """.formatted(KeyHash.sha256(ADMIN), KeyHash.sha256(OPERATOR), KeyHash.sha256("tg-dev"), KeyHash.sha256("tg-claude"),
            KeyHash.sha256("tg-capped"), KeyHash.sha256("tg-looper"))).clearingSim(StackExtension.REQUESTS);

    /** Codex's -c options for the gateway as provider "gw", with no retries so a refusal shows at once. */
    private static List<String> gateway() {
        return Cli.codexViaGateway(stack.get(), ",request_max_retries=0,stream_max_retries=0");
    }

    /** {@code codex exec} (kept, not ephemeral, so it can be resumed) in this home, with these arguments after "exec". */
    private static Cli.Result codex(Path home, String key, List<String> execArgs) throws Exception {
        Path codexHome = Files.createDirectories(home.resolve(".codex"));
        List<String> command = new ArrayList<>(List.of(Cli.codex().toString(), "exec"));
        command.addAll(execArgs.subList(0, execArgs.size() - 1));
        command.addAll(List.of("--skip-git-repo-check", "-m", "gpt-5.5"));
        command.addAll(gateway());
        command.addAll(List.of("-c", "analytics.enabled=false", "--disable", "plugins", "--disable", "apps", execArgs.getLast()));
        return Cli.run(command, Map.of("GW_API_KEY", key, "CODEX_HOME", codexHome.toString()), home);
    }

    private static HttpResponse<String> admin(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stack.get().gateway(path))).header("authorization", "Bearer " + token);
        b = "POST".equals(method) ? b.POST(HttpRequest.BodyPublishers.noBody()) : b.GET();
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls the admin API until the answer fits (the request log is written behind the response); fails after 10 s. */
    private static JsonNode awaitAdmin(String path, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = admin("GET", path, ADMIN);
            assertEquals(200, r.statusCode(), r.body());
            last = JSON.readTree(r.body());
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(path + " never fit: " + last);
    }

    /** The session id {@code codex exec} prints in its header. */
    private static String sessionOf(Cli.Result run) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("session id: ([0-9a-f-]{36})").matcher(run.all());
        assertTrue(m.find(), "codex exec names its session: " + run.all());
        return m.group(1);
    }

    private static List<JsonNode> simCalls() throws Exception {
        return SimRequests.to(stack.get(), "/v1/responses");
    }

    private static long simInputTokens(List<JsonNode> calls) {
        return calls.stream().mapToLong(c -> c.path("usage").path("input_tokens").asLong()).sum();
    }

    private static long simOutputTokens(List<JsonNode> calls) {
        return calls.stream().mapToLong(c -> c.path("usage").path("output_tokens").asLong()).sum();
    }

    /** The request log's rows of one session, as /admin/sessions/{id} gives them. */
    private static JsonNode timeline(String id, String key, int rows) throws Exception {
        return awaitAdmin("/admin/sessions/" + id + "?key=" + key, n -> n.path("timeline").size() >= rows).path("timeline");
    }

    private static BigDecimal sumCost(JsonNode timeline) {
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode row : timeline) {
            if (row.hasNonNull("cost_usd")) {
                sum = sum.add(row.path("cost_usd").decimalValue());
            }
        }
        return sum;
    }

    @Test
    void aResumedCodexTaskIsOneSessionWithTheSimulatorsTotals() throws Exception {
        Path home = Cli.home(stack.get(), "codex");
        Cli.Result first = codex(home, "tg-dev", List.of(Cli.TOOL_PROMPT));
        assertEquals(0, first.exit(), first.all());
        Cli.Result second = codex(home, "tg-dev", List.of("resume", "--last", "What did it print?"));
        assertEquals(0, second.exit(), second.all());
        assertTrue(second.stdout().contains("Tool said"), second.all());

        // A tool round trip, then the resumed turn (its history already holds the result, so the model just answers).
        List<JsonNode> calls = simCalls();
        assertEquals(3, calls.size(), SimRequests.all(stack.get()));
        String sessionId = sessionOf(first);
        assertEquals(sessionId, sessionOf(second), "the resumed task is the same session");
        for (JsonNode c : calls) {
            assertEquals(sessionId, c.path("body").path("prompt_cache_key").asText(), "the resumed turns keep the session: " + c.path("body").path("prompt_cache_key"));
        }

        JsonNode list = awaitAdmin("/admin/sessions?key=dev", n -> n.path("sessions").size() == 1 && n.path("sessions").get(0).path("requests").asLong() == 3);
        JsonNode s = list.path("sessions").get(0);
        assertEquals(sessionId, s.path("id").asText(), list.toString());
        assertEquals("dev", s.path("key").asText());
        assertEquals("agents", s.path("team").asText());
        assertEquals(0, s.path("errors").asLong(), list.toString());
        assertEquals(simInputTokens(calls), s.path("tokens").path("input").asLong(), "input tokens as the simulator reported them: " + list);
        assertEquals(simOutputTokens(calls), s.path("tokens").path("output").asLong(), "output tokens as the simulator reported them: " + list);
        assertEquals(1, s.path("tool_calls").asLong(), "one request carried a tool result: " + list);
        assertTrue(s.path("clients").toString().contains("codex"), list.toString());

        JsonNode rows = timeline(sessionId, "dev", 3);
        assertEquals(3, rows.size(), rows.toString());
        assertEquals(0, sumCost(rows).compareTo(s.path("cost_usd").decimalValue()), "the session's cost is the sum of its request log rows: " + rows);
        // $1 per million input tokens, output free: exactly the simulator's input tokens in micro-dollars.
        assertEquals(0, BigDecimal.valueOf(simInputTokens(calls), 6).compareTo(s.path("cost_usd").decimalValue()), list.toString());
    }

    @Test
    void aClaudeCodeTaskIsRecordedUnderItsSessionId() throws Exception {
        String sessionId = UUID.randomUUID().toString();
        Path home = Cli.home(stack.get(), "claude");
        Cli.Result result = Cli.run(List.of(Cli.claude().toString(), "-p", "--model", "gpt-5.5", "--session-id", sessionId,
                        "--allowedTools=Bash", Cli.TOOL_PROMPT),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"), "ANTHROPIC_API_KEY", "tg-claude",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1", "CLAUDE_CODE_MAX_RETRIES", "0"),
                home);
        assertEquals(0, result.exit(), result.all());
        List<JsonNode> calls = simCalls();
        assertEquals(2, calls.size(), SimRequests.all(stack.get()));

        JsonNode list = awaitAdmin("/admin/sessions?key=claude", n -> n.path("sessions").size() == 1 && n.path("sessions").get(0).path("requests").asLong() == 2);
        JsonNode s = list.path("sessions").get(0);
        assertEquals(sessionId, s.path("id").asText(), "Claude Code's X-Claude-Code-Session-Id names the session: " + list);
        assertEquals(simInputTokens(calls), s.path("tokens").path("input").asLong(), list.toString());
        assertEquals(simOutputTokens(calls), s.path("tokens").path("output").asLong(), list.toString());
        assertEquals(1, s.path("tool_calls").asLong(), list.toString());
        assertTrue(s.path("clients").toString().contains("claude"), list.toString());
    }

    @Test
    void aSessionBudgetStopsARealCodexTaskMidWay() throws Exception {
        Path home = Cli.home(stack.get(), "codex");
        // Ten tool turns would cost about eleven cents; the session may spend three.
        Cli.Result result = codex(home, "tg-capped", List.of("Keep going until you are done. tollgate-tool-turns=10"));
        assertNotEquals(0, result.exit(), "the task could not finish: " + result.all());
        assertTrue(result.all().contains("Session budget of key capped would be exceeded"), "Codex shows the gateway's reason: " + result.all());
        assertTrue(result.all().contains("start a new session"), "and how to go on: " + result.all());

        List<JsonNode> calls = simCalls();
        assertTrue(calls.size() >= 2 && calls.size() < 11, "stopped mid-task, after some turns were served: " + calls.size());
        String sessionId = sessionOf(result);
        JsonNode rows = timeline(sessionId, "capped", calls.size() + 1);
        assertEquals(calls.size() + 1, rows.size(), "every served turn and the one refusal, nothing after it: " + rows);
        assertEquals("budget_exhausted", rows.get(rows.size() - 1).path("error_type").asText(), rows.toString());
        for (int i = 0; i < calls.size(); i++) {
            assertEquals(200, rows.get(i).path("status").asInt(), rows.toString());
        }
        assertTrue(sumCost(rows).compareTo(new BigDecimal("0.03")) <= 0, "the session stayed within its cap: " + rows);
    }

    @Test
    void theBrakePausesALoopingCodexTaskAndAnOperatorLetsItGoOn() throws Exception {
        Path home = Cli.home(stack.get(), "codex");
        // The simulator asks for the same `echo tollgate-tool-ok` call until it has four results; the brake allows two in a row.
        Cli.Result looping = codex(home, "tg-looper", List.of("Keep going until you are done. tollgate-tool-turns=4"));
        assertNotEquals(0, looping.exit(), looping.all());
        // Codex 0.169 never prints a 429's body (see README); the reason is in the request log and the admin API.
        assertTrue(looping.stderr().contains("429 Too Many Requests"), looping.all());

        List<JsonNode> calls = simCalls();
        assertEquals(3, calls.size(), "the fourth request, carrying the third identical result, never reached the provider: " + SimRequests.all(stack.get()));
        String sessionId = sessionOf(looping);
        JsonNode paused = awaitAdmin("/admin/sessions?key=looper", n -> n.path("paused").size() == 1);
        assertEquals(sessionId, paused.path("paused").get(0).path("id").asText(), paused.toString());
        assertEquals("repeated_tool_call", paused.path("paused").get(0).path("rule").asText(), paused.toString());
        JsonNode rows = timeline(sessionId, "looper", 4);
        JsonNode refused = rows.get(3);
        assertEquals(429, refused.path("status").asInt(), rows.toString());
        assertEquals("session_paused", refused.path("error_type").asText(), rows.toString());
        assertTrue(refused.path("notes").asText().contains("runaway brake (repeated_tool_call)"), rows.toString());
        assertTrue(paused.path("paused").get(0).path("reason").asText().contains("'exec_command' with the same arguments 3 times in a row"),
                paused.toString());

        // Paused: resuming the task is refused before the provider is asked.
        Cli.Result stillPaused = codex(home, "tg-looper", List.of("resume", "--last", "Go on."));
        assertNotEquals(0, stillPaused.exit(), stillPaused.all());
        assertTrue(stillPaused.stderr().contains("429 Too Many Requests"), stillPaused.all());
        assertEquals(3, simCalls().size(), "nothing reached the provider while paused");

        assertEquals(403, admin("POST", "/admin/sessions/" + sessionId + "/resume?key=looper", ADMIN).statusCode(), "a viewer may not resume");
        HttpResponse<String> resumed = admin("POST", "/admin/sessions/" + sessionId + "/resume?key=looper", OPERATOR);
        assertEquals(200, resumed.statusCode(), resumed.body());

        Cli.Result goesOn = codex(home, "tg-looper", List.of("resume", "--last", "Go on."));
        assertEquals(0, goesOn.exit(), goesOn.all());
        assertTrue(goesOn.stdout().contains("tollgate-tool-ok"), "the task finished: " + goesOn.all());
        assertTrue(simCalls().size() > 3, "the session reached the provider again");
        JsonNode after = awaitAdmin("/admin/sessions?key=looper", n -> n.path("paused").isEmpty());
        assertTrue(after.path("sessions").get(0).path("paused").isMissingNode(), after.toString());
    }
}
