package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent sessions end to end through a real gateway and a fake upstream: every record names its session
 * and subagent, a session is scoped to its key, GET /admin/sessions totals it; a session budget holds
 * (refused in the client's dialect, the upstream never asked), warns from its warn_at_percent; the runaway
 * brake pauses a session that repeats one tool call, and an operator resumes it.
 */
class SessionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "tg-alice-key";
    private static final String BOB = "tg-bob-key";
    private static final String CAROL = "tg-carol-key";
    private static final String OPERATOR = "tg-operator-token";
    private static final String ANSWER = "{\"id\":\"c1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}}],"
            + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10}}";

    private static String policy(int port) {
        // $0.001 a token: an answer of 10 + 10 tokens costs $0.02.
        return """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: fast, targets: [{provider: up, model: fast-up}]}
                pricing:
                  - {model: fast, input: 1000, output: 1000}
                admins:
                  - {id: watcher, role: viewer, sha256: %s}
                  - {id: ops, role: operator, sha256: %s}
                customers:
                  - {id: acme}
                teams:
                  - {id: agents, customer: acme}
                  - {id: loopy, customer: acme, brake: {repeated_tool_call: 3, pause_minutes: 5}}
                keys:
                  - {id: alice, team: agents, sha256: %s, budgets: [{amount_usd: 0.05, period: session, warn_at_percent: 50}]}
                  - {id: bob, team: agents, sha256: %s}
                  - {id: carol, team: loopy, sha256: %s}
                """.formatted(port, Secrets.sha256(ObservabilityTest.ADMIN), Secrets.sha256(OPERATOR), Secrets.sha256(ALICE),
                Secrets.sha256(BOB), Secrets.sha256(CAROL));
    }

    private static final String HI = "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static HttpResponse<String> chat(int port, String key, String session, String agent, String body) throws Exception {
        Map<String, String> headers = new HashMap<>(Map.of("authorization", "Bearer " + key, "user-agent", "test-agent/1.0"));
        if (session != null) {
            headers.put("x-tollgate-session", session);
        }
        if (agent != null) {
            headers.put("x-tollgate-agent", agent);
        }
        return ObservabilityTest.post(port, "/v1/chat/completions", body, headers);
    }

    /** A turn answering the n-th call of the same tool with the same arguments. */
    private static String toolTurn(int n) {
        StringBuilder messages = new StringBuilder("[{\"role\":\"user\",\"content\":\"fix it\"}");
        for (int i = 1; i <= n; i++) {
            messages.append(",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_").append(i).append("\",\"type\":\"function\",")
                    .append("\"function\":{\"name\":\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\\\"make test\\\"}\"}}]}")
                    .append(",{\"role\":\"tool\",\"tool_call_id\":\"call_").append(i).append("\",\"content\":\"FAILED\"}");
        }
        return "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":" + messages + "]}";
    }

    private static JsonNode sessions(int port, String query, int rows) throws Exception {
        return ObservabilityTest.await(rows + " sessions for " + query, () -> {
            try {
                HttpResponse<String> r = ObservabilityTest.get(port, "/admin/sessions" + query, ObservabilityTest.ADMIN);
                assertEquals(200, r.statusCode(), r.body());
                JsonNode n = JSON.readTree(r.body());
                return n.path("sessions").size() == rows ? n : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void sessionsAreRecordedPerKeyBudgetedWarnedAndBraked(@TempDir Path state) throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            upstream.answer(FakeUpstream.json(200, ANSWER));
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(upstream.port()).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
                int port = gateway.port();

                // Alice's session: two turns, the second from a subagent; the first is under half the cap, the second past it.
                HttpResponse<String> first = chat(port, ALICE, "task-1", null, HI);
                assertEquals(200, first.statusCode(), first.body());
                assertTrue(first.headers().firstValue("x-tollgate-budget-warning").isEmpty(), "under warn_at_percent: no warning");
                HttpResponse<String> second = chat(port, ALICE, "task-1", "sub-1", HI);
                assertEquals(200, second.statusCode(), second.body());
                String warning = second.headers().firstValue("x-tollgate-budget-warning").orElseThrow();
                assertTrue(warning.startsWith("Session budget of key alice: $0.0"), warning);

                // Bob uses the same id: his own session, never Alice's (and her cap does not apply to him).
                assertEquals(200, chat(port, BOB, "task-1", null, HI).statusCode());

                // Alice's third turn would pass $0.05: refused before the upstream, in OpenAI's dialect, saying how to go on.
                int before = upstream.received.size();
                HttpResponse<String> third = chat(port, ALICE, "task-1", null, HI);
                assertEquals(400, third.statusCode(), third.body());
                JsonNode error = JSON.readTree(third.body()).path("error");
                assertEquals("budget_exceeded", error.path("code").asText());
                assertTrue(error.path("message").asText().startsWith("Session budget of key alice would be exceeded by this request: $0.04 of $0.05 used"),
                        error.toString());
                assertTrue(error.path("message").asText().contains("start a new session"), error.toString());
                assertEquals(before, upstream.received.size(), "a refused request never reaches the upstream");
                // Anthropic's dialect says the same for Claude Code.
                HttpResponse<String> claude = ObservabilityTest.post(port, "/anthropic/v1/messages",
                        "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                        Map.of("x-api-key", ALICE, "x-claude-code-session-id", "task-1"));
                assertEquals(400, claude.statusCode(), claude.body());
                assertEquals("invalid_request_error", JSON.readTree(claude.body()).path("error").path("type").asText());
                assertTrue(claude.body().contains("Session budget of key alice"), claude.body());
                // A new session starts afresh.
                assertEquals(200, chat(port, ALICE, "task-2", null, HI).statusCode());

                // Carol's agent runs `make test` again and again: the third identical call pauses the session.
                assertEquals(200, chat(port, CAROL, "loop-1", null, toolTurn(1)).statusCode());
                assertEquals(200, chat(port, CAROL, "loop-1", null, toolTurn(1)).statusCode(), "a retried request is no new call");
                assertEquals(200, chat(port, CAROL, "loop-1", null, toolTurn(2)).statusCode());
                int sent = upstream.received.size();
                HttpResponse<String> tripped = chat(port, CAROL, "loop-1", null, toolTurn(3));
                assertEquals(429, tripped.statusCode(), tripped.body());
                assertEquals("session_paused", JSON.readTree(tripped.body()).path("error").path("code").asText());
                assertTrue(tripped.body().contains("'exec_command' with the same arguments 3 times in a row"), tripped.body());
                long retryAfter = Long.parseLong(tripped.headers().firstValue("retry-after").orElseThrow());
                assertTrue(retryAfter > 200 && retryAfter <= 300, "until the pause ends: " + retryAfter);
                assertEquals(429, chat(port, CAROL, "loop-1", null, HI).statusCode(), "paused: any request of the session");
                assertEquals(200, chat(port, CAROL, "loop-2", null, HI).statusCode(), "another session of the key goes on");
                assertEquals(sent + 1, upstream.received.size());

                // A viewer may not resume; an operator may.
                HttpResponse<String> viewer = post(port, "/admin/sessions/loop-1/resume", ObservabilityTest.ADMIN);
                assertEquals(403, viewer.statusCode(), viewer.body());
                HttpResponse<String> resumed = post(port, "/admin/sessions/loop-1/resume?key=carol", OPERATOR);
                assertEquals(200, resumed.statusCode(), resumed.body());
                assertEquals(200, chat(port, CAROL, "loop-1", null, toolTurn(4)).statusCode(), "resumed: the count starts again");

                // The sessions, most expensive first; one row per key and id (once the log has the last request too).
                ObservabilityTest.await("loop-1's sixth record", () -> {
                    try {
                        return find(sessions(port, "", 5), "carol", "loop-1").path("requests").asInt() == 6 ? true : null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                JsonNode list = sessions(port, "", 5);
                JsonNode alice = find(list, "alice", "task-1");
                assertEquals(4, alice.path("requests").asInt(), "refusals are the session's too: " + alice);
                assertEquals(2, alice.path("errors").asInt(), alice.toString());
                assertEquals(0, new BigDecimal("0.04").compareTo(alice.path("cost_usd").decimalValue()), alice.toString());
                assertEquals(20, alice.path("tokens").path("input").asLong());
                assertEquals("[\"sub-1\"]", alice.path("subagents").toString());
                // The test's own requests and the Anthropic one, which sent the JDK client's user agent.
                assertEquals(2, alice.path("clients").size(), alice.toString());
                assertEquals("test-agent/1.0", alice.path("clients").get(1).asText(), alice.toString());
                assertEquals("[\"fast\"]", alice.path("models").toString());
                assertEquals(1, find(list, "bob", "task-1").path("requests").asInt());
                JsonNode loop = find(list, "carol", "loop-1");
                assertEquals(4, loop.path("tool_calls").asInt(), "every admitted request that answered a tool call: " + loop);
                assertEquals("loop-1", list.path("sessions").get(0).path("id").asText(), "most expensive first ($0.08): " + list);
                assertEquals(1, sessions(port, "?key=bob", 1).path("sessions").size());
                // tollgate usage --by session prints the same list as a table.
                String[] table = dev.tollgate.server.usage.UsageCommand.sessionTable(list).split("\n");
                assertTrue(table[1].startsWith("SESSION ") && table[2].startsWith("loop-1 ") && table[2].contains(" carol "), String.join("\n", table));

                // One session's timeline needs its key when two keys used the id.
                assertEquals(409, ObservabilityTest.get(port, "/admin/sessions/task-1", ObservabilityTest.ADMIN).statusCode());
                JsonNode timeline = JSON.readTree(ObservabilityTest.get(port, "/admin/sessions/task-1?key=alice", ObservabilityTest.ADMIN).body());
                // Two served, two refused by the session budget (OpenAI and Anthropic dialects).
                assertEquals(4, timeline.path("timeline").size(), timeline.toString());
                assertEquals("sub-1", timeline.path("timeline").get(1).path("agent").asText());
                assertTrue(timeline.path("timeline").get(1).path("notes").asText().startsWith("Budget warning: Session budget"),
                        timeline.toString());
                assertEquals("budget_exhausted", timeline.path("timeline").get(2).path("error_type").asText());
                JsonNode loopTimeline = JSON.readTree(ObservabilityTest.get(port, "/admin/sessions/loop-1", ObservabilityTest.ADMIN).body());
                assertEquals("session_paused", loopTimeline.path("timeline").get(3).path("error_type").asText(), loopTimeline.toString());
                assertEquals("exec_command", loopTimeline.path("timeline").get(3).path("tool_call").asText());

                // Bad ids are refused, not looked up.
                assertEquals(400, ObservabilityTest.get(port, "/admin/sessions/bad%20id", ObservabilityTest.ADMIN).statusCode());

                String metrics = ObservabilityTest.get(port, "/metrics", ObservabilityTest.ADMIN).body();
                assertTrue(metrics.contains("tollgate_session_brake_refusals_total{rule=\"repeated_tool_call\"} 2.0"), metrics);
                assertTrue(metrics.contains("tollgate_budget_warnings_total 1.0"), metrics);
                assertFalse(metrics.contains("loop-1"), "session ids are no metric labels");
            }
        }
    }

    private static JsonNode find(JsonNode list, String key, String id) {
        for (JsonNode s : list.path("sessions")) {
            if (s.path("key").asText().equals(key) && s.path("id").asText().equals(id)) {
                return s;
            }
        }
        throw new AssertionError("no session " + id + " of " + key + " in " + list);
    }

    private static HttpResponse<String> post(int port, String path, String token) throws Exception {
        return ObservabilityTest.post(port, path, "", Map.of("authorization", "Bearer " + token));
    }
}
