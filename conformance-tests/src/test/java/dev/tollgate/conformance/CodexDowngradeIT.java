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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A budget's {@code downgrade} on a real Codex session, with its built-in provider (it compacts remotely, as
 * against OpenAI) and as a custom provider (it compacts by itself): its requests go to the model it asked for until the budget passes the threshold,
 * stay there mid-session (its prompt cache keeps being read), and after Codex's compaction go to the
 * cheaper catalog model, which the simulator is asked for; the request log says so, and an HTTP answer
 * in the same session carries {@code x-tollgate-downgraded}.
 */
class CodexDowngradeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN = "admin-token";

    // gpt-5.5 at $10 per million input tokens: Codex's first turn (~7,000 tokens) is ~7 cents, past 1% of $1.
    @RegisterExtension
    static final StackExtension stack = StackExtension.of("downgrade", """
            providers:
              - id: sim
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: gpt-5.5
                targets: [{provider: sim, model: gpt-5.5}]
              - name: gpt-5.4-mini
                targets: [{provider: sim, model: gpt-5.4-mini}]
            pricing:
              - {model: gpt-5.5, input: 10, output: 40}
              - {model: gpt-5.4-mini, input: 0.25, output: 2}
            admins:
              - {id: watcher, role: viewer, sha256: %s}
            customers:
              - {id: acme}
            teams:
              - {id: agents, customer: acme}
            keys:
              - {id: builtin, team: agents, sha256: %s, budgets: [{amount_usd: 1, period: daily, downgrade: {at_percent: 1, to: gpt-5.4-mini}}]}
              - {id: custom, team: agents, sha256: %s, budgets: [{amount_usd: 1, period: daily, downgrade: {at_percent: 1, to: gpt-5.4-mini}}]}
            """.formatted(KeyHash.sha256(ADMIN), KeyHash.sha256("tg-builtin"), KeyHash.sha256("tg-custom"))).clearingSim(StackExtension.REQUESTS);

    /** Codex compacts remotely once a turn's usage passes this many tokens; its first request alone is several thousand. */
    private static final List<String> SMALL_WINDOW = List.of("-c", "model_auto_compact_token_limit=2000");

    /**
     * {@code codex exec} (kept, so it can be resumed), execArgs after "exec", prompt last: with the built-in provider on
     * the gateway's /openai (key builtin; WebSocket, remote compaction), else as custom provider "gw" on /v1 (key custom;
     * HTTP, and Codex compacts by itself: a summary request, then a history holding the summary).
     */
    private static Cli.Result codex(boolean builtIn, Path home, List<String> config, List<String> execArgs) throws Exception {
        Path codexHome = Files.createDirectories(home.resolve(".codex"));
        List<String> command = new ArrayList<>(List.of(Cli.codex().toString(), "exec"));
        command.addAll(execArgs.subList(0, execArgs.size() - 1));
        command.addAll(List.of("--skip-git-repo-check", "-m", "gpt-5.5"));
        command.addAll(builtIn ? List.of("-c", "openai_base_url=\"http://127.0.0.1:" + stack.get().gatewayPort + "/openai\"")
                : Cli.codexViaGateway(stack.get(), ""));
        command.addAll(config);
        command.addAll(List.of("-c", "analytics.enabled=false", "--disable", "plugins", "--disable", "apps", execArgs.getLast()));
        return Cli.run(command, Map.of(builtIn ? "CODEX_API_KEY" : "GW_API_KEY", builtIn ? "tg-builtin" : "tg-custom",
                "CODEX_HOME", codexHome.toString()), home);
    }

    private static String sessionOf(Cli.Result run) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("session id: ([0-9a-f-]{36})").matcher(run.all());
        assertTrue(m.find(), "codex exec names its session: " + run.all());
        return m.group(1);
    }

    /** The request that asks for a compaction: OpenAI's remote one (a compaction_trigger), or Codex's own summary prompt. */
    private static boolean asksForCompaction(JsonNode call) {
        JsonNode input = call.path("body").path("input");
        if (!input.isArray() || input.isEmpty()) {
            return false;
        }
        JsonNode last = input.get(input.size() - 1);
        return "compaction_trigger".equals(last.path("type").asText())
                || last.path("content").toString().contains("You are performing a CONTEXT CHECKPOINT COMPACTION");
    }

    /** A request whose history is compacted: the provider's compaction item, or Codex's handoff summary. */
    private static boolean carriesCompaction(JsonNode call) {
        String input = call.path("body").path("input").toString();
        return input.contains("sim-compaction:") || input.contains("Another language model started to solve this problem");
    }

    private static JsonNode awaitAdmin(String path, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path)))
                    .header("authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            last = JSON.readTree(r.body());
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(50); // the request log is written behind the response
        }
        throw new AssertionError(path + " never fit: " + last);
    }

    @ParameterizedTest(name = "built-in provider: {0}")
    @ValueSource(booleans = {true, false})
    void aCodexSessionPastItsThresholdKeepsItsModelUntilItCompactsThenGoesToTheCheaperOne(boolean builtIn) throws Exception {
        String key = builtIn ? "builtin" : "custom";
        Path home = Cli.home(stack.get(), "codex");
        // Turn one: the tool call, then the answer. The first request finds the budget untouched; the second,
        // past the threshold, is mid-session and stays on gpt-5.5, reading the prompt cache the first wrote.
        Cli.Result first = codex(builtIn, home, List.of(), List.of(Cli.TOOL_PROMPT));
        assertEquals(0, first.exit(), first.all());
        assertTrue(first.stdout().contains("tollgate-tool-ok"), first.all());
        String sessionId = sessionOf(first);
        List<JsonNode> before = SimRequests.to(stack.get(), "/responses");
        assertEquals(2, before.size(), SimRequests.all(stack.get()));
        for (JsonNode c : before) {
            assertEquals("gpt-5.5", c.path("body").path("model").asText(), "before any compaction the session keeps its model: " + c.path("body").path("model"));
        }
        assertTrue(before.get(1).path("usage").path("cache_read").asLong() > 0,
                "the second request read the prompt cache the first wrote: " + before.get(1).path("usage"));

        // Turn two, with a small context window: Codex compacts, and the turn after the compaction is the switch point.
        Cli.Result second = codex(builtIn, home, SMALL_WINDOW, List.of("resume", "--last", "What did it print?"));
        assertEquals(0, second.exit(), second.all());
        assertTrue(second.stdout().contains("tollgate-tool-ok"), "the session completes after the switch: " + second.all());
        assertEquals(sessionId, sessionOf(second));

        List<JsonNode> calls = SimRequests.to(stack.get(), "/responses");
        List<String> models = new ArrayList<>();
        calls.forEach(c -> models.add(c.path("body").path("model").asText()));
        int trigger = -1;
        int compacted = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (trigger < 0 && asksForCompaction(calls.get(i))) {
                trigger = i;
            } else if (trigger >= 0 && compacted < 0 && carriesCompaction(calls.get(i))) {
                compacted = i;
            }
        }
        assertTrue(trigger >= 2, "Codex asked for a compaction in the resumed turn: " + models + " " + SimRequests.all(stack.get()));
        assertTrue(compacted > trigger, "a request carrying the compaction followed: " + models);
        for (int i = 0; i <= trigger; i++) {
            assertEquals("gpt-5.5", models.get(i), "up to and including the compaction request, the session keeps gpt-5.5: " + models);
        }
        for (int i = compacted; i < calls.size(); i++) {
            assertEquals("gpt-5.4-mini", models.get(i), "from the first request after the compaction on, the cheaper model: " + models);
        }
        for (JsonNode c : calls) {
            assertEquals(sessionId, c.path("body").path("prompt_cache_key").asText(), "one session throughout");
        }

        // The request log: one row per provider call, the downgraded ones saying so and why.
        JsonNode timeline = awaitAdmin("/admin/sessions/" + sessionId + "?key=" + key, n -> n.path("timeline").size() >= calls.size())
                .path("timeline");
        assertEquals(calls.size(), timeline.size(), timeline.toString());
        for (int i = 0; i < timeline.size(); i++) {
            JsonNode row = timeline.get(i);
            assertEquals(200, row.path("status").asInt(), timeline.toString());
            String notes = row.path("notes").asText("");
            if (i < compacted) {
                assertFalse(notes.contains("Downgraded"), "row " + i + " was not downgraded: " + row);
            } else {
                assertTrue(notes.contains("Downgraded gpt-5.5 -> gpt-5.4-mini: daily budget of key " + key), "row " + i + ": " + row);
            }
        }

        // Codex reads no response header (and the socket has none per turn): an HTTP answer in the same session shows it.
        String body = "{\"model\":\"gpt-5.5\",\"stream\":false,\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":"
                + "[{\"type\":\"input_text\",\"text\":\"one more thing\"}]}]}";
        HttpResponse<String> more = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/openai/v1/responses")))
                .header("authorization", "Bearer tg-" + key).header("content-type", "application/json").header("session-id", sessionId)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, more.statusCode(), more.body());
        String header = more.headers().firstValue("x-tollgate-downgraded").orElse("");
        assertTrue(header.startsWith("gpt-5.5 -> gpt-5.4-mini (daily budget of key " + key), "once downgraded the session stays so, and says it: " + header);
        assertEquals("gpt-5.4-mini", SimRequests.to(stack.get(), "/responses").getLast().path("body").path("model").asText());
    }
}
