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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real Claude Code starting subagents through the gateway: its {@code Agent} tool (the simulator
 * calls it when the task says {@code tollgate-subagents=N}) runs each subagent's own requests, which
 * carry the task's {@code X-Claude-Code-Session-Id} and their own {@code x-claude-code-agent-id}. The
 * whole task is one session in /admin/sessions, its subagents listed, its totals what the simulator billed.
 */
class ClaudeCodeSubagentIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN = "admin-token";

    // Every kind of token its own price, so a cache read or write billed as plain input shows in the cost.
    @RegisterExtension
    static final StackExtension stack = StackExtension.of("subagents", """
            providers:
              - id: sim
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: claude-sonnet-5
                targets: [{provider: sim, model: claude-sonnet-5}]
            pricing:
              - {model: claude-sonnet-5, input: 3, output: 15, cached_input: 0.3, cache_write_5m: 3.75, cache_write_1h: 6}
            admins:
              - {id: watcher, role: viewer, sha256: %s}
            customers:
              - {id: acme}
            teams:
              - {id: agents, customer: acme}
            keys:
              - {id: claude, team: agents, sha256: %s}
            """.formatted(KeyHash.sha256(ADMIN), KeyHash.sha256("tg-claude"))).clearingSim(StackExtension.REQUESTS);

    /** Polls the admin API until the answer fits (the request log is written behind the response); fails after 10 s. */
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
            Thread.sleep(50);
        }
        throw new AssertionError(path + " never fit: " + last);
    }

    /** What the simulator billed these calls, at the policy's prices (USD per million tokens). */
    private static BigDecimal billed(List<JsonNode> calls) {
        BigDecimal micro = BigDecimal.ZERO;
        for (JsonNode c : calls) {
            JsonNode u = c.path("usage");
            long read = u.path("cache_read").asLong();
            long w5 = u.path("cache_write_5m").asLong();
            long w1 = u.path("cache_write_1h").asLong();
            long plain = u.path("input_tokens").asLong() - read - w5 - w1;
            micro = micro.add(BigDecimal.valueOf(plain).multiply(new BigDecimal("3")))
                    .add(BigDecimal.valueOf(read).multiply(new BigDecimal("0.3")))
                    .add(BigDecimal.valueOf(w5).multiply(new BigDecimal("3.75")))
                    .add(BigDecimal.valueOf(w1).multiply(new BigDecimal("6")))
                    .add(BigDecimal.valueOf(u.path("output_tokens").asLong()).multiply(new BigDecimal("15")));
        }
        return micro.movePointLeft(6);
    }

    private static long sum(List<JsonNode> calls, String field) {
        return calls.stream().mapToLong(c -> c.path("usage").path(field).asLong()).sum();
    }

    @Test
    void aClaudeCodeTaskWithTwoSubagentsIsOneSessionListingThem() throws Exception {
        String sessionId = UUID.randomUUID().toString();
        Path home = Cli.home(stack.get(), "claude");
        Cli.Result result = Cli.run(List.of(Cli.claude().toString(), "-p", "--model", "claude-sonnet-5", "--session-id", sessionId,
                        "--allowedTools=Bash,Agent", "Hand this to two subagents, one after the other. tollgate-subagents=2"),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"), "ANTHROPIC_API_KEY", "tg-claude",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1", "CLAUDE_CODE_MAX_RETRIES", "0"),
                home);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the task's answer quotes what its subagent reported: " + result.all());

        // Main agent: Agent call, Agent call, answer; each subagent: Bash call, answer. Seven requests, all upstream.
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(7, calls.size(), SimRequests.all(stack.get()));
        // The gateway sends the provider no client headers; Claude Code tells the main agent each subagent's id in
        // the Agent tool's result ("agentId: ..."), which the simulator received with the main agent's next turn.
        List<String> ids = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("agentId: ([0-9a-zA-Z]+)").matcher(calls.get(6).path("body").path("messages").toString());
        while (m.find()) {
            ids.add(m.group(1));
        }
        assertEquals(2, ids.size(), "two subagents reported back: " + calls.get(6).path("body").path("messages"));
        assertNotEquals(ids.get(0), ids.get(1), "two subagents, two ids");
        // Main agent, first subagent twice, main, second subagent twice, main.
        List<String> agentsSeen = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            // A subagent's conversation starts from the prompt the Agent call gave it, without the task's marker.
            boolean main = calls.get(i).path("body").path("messages").toString().contains("tollgate-subagents=2");
            assertEquals(i % 3 == 0, main, "request " + i + " comes from the " + (i % 3 == 0 ? "main agent" : "subagent"));
            agentsSeen.add(main ? null : ids.get(i / 3));
        }
        Set<String> subagents = new LinkedHashSet<>(ids);

        JsonNode list = awaitAdmin("/admin/sessions?key=claude",
                n -> n.path("sessions").size() == 1 && n.path("sessions").get(0).path("requests").asLong() == 7);
        JsonNode s = list.path("sessions").get(0);
        assertEquals(sessionId, s.path("id").asText(), "one session, subagents included: " + list);
        assertEquals(0, s.path("errors").asLong(), list.toString());
        List<String> listed = new ArrayList<>();
        s.path("subagents").forEach(a -> listed.add(a.asText()));
        assertEquals(subagents.stream().sorted().toList(), listed, "the subagents, by the ids Claude Code sent: " + list);
        assertEquals(sum(calls, "input_tokens"), s.path("tokens").path("input").asLong(), "input tokens as the simulator reported them: " + list);
        assertEquals(sum(calls, "output_tokens"), s.path("tokens").path("output").asLong(), list.toString());
        assertEquals(sum(calls, "cache_read"), s.path("tokens").path("cached").asLong(), list.toString());
        assertEquals(sum(calls, "cache_write_5m") + sum(calls, "cache_write_1h"), s.path("tokens").path("cache_write").asLong(), list.toString());
        assertTrue(sum(calls, "cache_read") > 0, "the main agent's later turns read its prompt cache: " + list);
        // Tool results: the two subagents' Bash results and the main agent's two Agent results.
        assertEquals(4, s.path("tool_calls").asLong(), list.toString());
        assertEquals(0, billed(calls).compareTo(s.path("cost_usd").decimalValue()),
                "the session costs what the simulator billed, " + billed(calls) + ": " + list);

        // The request log, row by row: the agent id each request came from.
        JsonNode timeline = awaitAdmin("/admin/sessions/" + sessionId + "?key=claude", n -> n.path("timeline").size() == 7).path("timeline");
        List<String> logged = new ArrayList<>();
        BigDecimal rows = BigDecimal.ZERO;
        for (JsonNode row : timeline) {
            assertEquals(200, row.path("status").asInt(), timeline.toString());
            logged.add(row.path("agent").isNull() ? null : row.path("agent").asText());
            rows = rows.add(row.path("cost_usd").decimalValue());
        }
        assertEquals(agentsSeen, logged, "each request log row carries the agent that sent it: " + timeline);
        assertEquals(0, rows.compareTo(s.path("cost_usd").decimalValue()), "the session's cost is the sum of its rows: " + timeline);
    }
}
