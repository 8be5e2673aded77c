package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.shared.RedisProcess;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent sessions across two gateway nodes sharing one real redis-server, in front of one fake upstream:
 * a session served by both shows as one session with every node's totals on either node, its session
 * budget counts both nodes' spend, and a pause the brake sets on one node holds on the other until an
 * operator resumes it there.
 */
class SharedSessionsServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "tg-alice-key";
    private static final String CAROL = "tg-carol-key";
    private static final String DAVE = "tg-dave-key";
    private static final String ERIN = "tg-erin-key";
    private static final String OPERATOR = "tg-operator-token";
    private static final String ANSWER = "{\"id\":\"c1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}}],"
            + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10}}";
    private static final String HI = "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    static Path dir;
    private static RedisProcess redis;
    private static FakeUpstream upstream;
    private static TollgateServer a;
    private static TollgateServer b;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(dir.resolve("redis"));
        upstream = new FakeUpstream();
        upstream.answer(FakeUpstream.json(200, ANSWER));
        // $0.001 a token: an answer of 10 + 10 tokens costs $0.02; Alice's session may spend $0.09.
        String policy = """
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
                  - {id: alice, team: agents, sha256: %s, budgets: [{amount_usd: 0.09, period: session}]}
                  - {id: carol, team: loopy, sha256: %s}
                  - {id: dave, team: agents, sha256: %s, budgets: [{amount_usd: 0.09, period: session}]}
                  - {id: erin, team: agents, sha256: %s, budgets: [{amount_usd: 5, period: daily}]}
                """.formatted(upstream.port(), Secrets.sha256(ObservabilityTest.ADMIN), Secrets.sha256(OPERATOR), Secrets.sha256(ALICE),
                Secrets.sha256(CAROL), Secrets.sha256(DAVE), Secrets.sha256(ERIN));
        a = node(policy, "a");
        b = node(policy, "b");
    }

    private static TollgateServer node(String policy, String name) throws Exception {
        Path state = dir.resolve(name);
        PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
        return TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5), "main", "",
                Duration.ofSeconds(10), Optional.empty(), Optional.of(redis.url())), new PolicyHolder(snapshot), null,
                Telemetry.create(TelemetrySettings.defaults(), state));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, upstream, redis}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static HttpResponse<String> chat(TollgateServer node, String key, String session, String agent, String body) throws Exception {
        Map<String, String> headers = new HashMap<>(Map.of("authorization", "Bearer " + key, "user-agent", "test-agent/1.0",
                "x-tollgate-session", session));
        if (agent != null) {
            headers.put("x-tollgate-agent", agent);
        }
        return ObservabilityTest.post(node.port(), "/v1/chat/completions", body, headers);
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

    /** One node's row of a session, once it shows {@code requests} requests (records reach Redis off the request path). */
    private static JsonNode row(TollgateServer node, String key, String id, int requests) throws Exception {
        return ObservabilityTest.await(id + " with " + requests + " requests on port " + node.port(), () -> {
            try {
                HttpResponse<String> r = ObservabilityTest.get(node.port(), "/admin/sessions?key=" + key, ObservabilityTest.ADMIN);
                assertEquals(200, r.statusCode(), r.body());
                for (JsonNode s : JSON.readTree(r.body()).path("sessions")) {
                    if (s.path("id").asText().equals(id) && s.path("requests").asInt() == requests) {
                        return s;
                    }
                }
                return null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aDailyBudgetsBurnRateIsEveryNodesSpend() throws Exception {
        // Two requests on A, one on B: $0.06 of Erin's daily budget.
        for (TollgateServer node : new TollgateServer[] {a, a, b}) {
            HttpResponse<String> r = chat(node, ERIN, "erin-task", null, HI);
            assertEquals(200, r.statusCode(), r.body());
        }
        for (TollgateServer node : new TollgateServer[] {a, b}) {
            JsonNode budgets = JSON.readTree(ObservabilityTest.get(node.port(), "/admin/budgets", ObservabilityTest.ADMIN).body());
            JsonNode row = null;
            for (JsonNode r : budgets.path("budgets")) {
                if (r.path("owner").asText().equals("erin") && r.path("period").asText().equals("daily")) {
                    row = r;
                }
            }
            assertTrue(row != null, budgets.toString());
            assertEquals(0, new BigDecimal("0.06").compareTo(row.path("spent_usd").decimalValue()), row.toString());
            // The day so far at that spend, as the answer's own clock says: both nodes' requests, on either node.
            java.time.Instant now = java.time.Instant.parse(budgets.path("now").asText());
            long dayMillis = Math.max(60_000, now.toEpochMilli() - now.truncatedTo(java.time.temporal.ChronoUnit.DAYS).toEpochMilli());
            BigDecimal perDay = new BigDecimal(java.math.BigInteger.valueOf(60_000_000L).multiply(java.math.BigInteger.valueOf(86_400_000L))
                    .divide(java.math.BigInteger.valueOf(dayMillis)), 9);
            assertEquals(0, perDay.compareTo(row.path("burn_usd_per_day").decimalValue()), "expected " + perDay + ": " + row);
        }
    }

    @Test
    void aSessionServedByBothNodesIsOneSessionWithOneBudgetOnEither() throws Exception {
        int before = upstream.received.size();
        // Two turns on each node, one of B's from a subagent: $0.08 of the session's $0.09.
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = chat(i % 2 == 0 ? a : b, ALICE, "task-1", i == 3 ? "sub-1" : null, HI);
            assertEquals(200, r.statusCode(), r.body());
        }
        // Each node alone has served $0.04 and would let a fifth through; the session's budget is both nodes'.
        HttpResponse<String> fifth = chat(b, ALICE, "task-1", null, HI);
        assertEquals(400, fifth.statusCode(), fifth.body());
        JsonNode error = JSON.readTree(fifth.body()).path("error");
        assertEquals("budget_exceeded", error.path("code").asText(), fifth.body());
        assertTrue(error.path("message").asText().startsWith("Session budget of key alice would be exceeded by this request: $0.08 of $0.09 used"),
                error.toString());
        assertEquals(before + 4, upstream.received.size(), "the refused request never reached the upstream");

        for (TollgateServer node : new TollgateServer[] {a, b}) {
            JsonNode s = row(node, "alice", "task-1", 5);
            assertEquals(0, new BigDecimal("0.08").compareTo(s.path("cost_usd").decimalValue()), s.toString());
            assertEquals(1, s.path("errors").asInt(), s.toString());
            assertEquals(40, s.path("tokens").path("input").asLong(), s.toString());
            assertEquals(40, s.path("tokens").path("output").asLong(), s.toString());
            assertEquals("[\"sub-1\"]", s.path("subagents").toString());
            assertEquals("[\"fast\"]", s.path("models").toString());
            assertEquals("[\"test-agent/1.0\"]", s.path("clients").toString());
            assertEquals("agents", s.path("team").asText());
            assertEquals(0, BigDecimal.ZERO.compareTo(s.path("in_flight_usd").decimalValue()), "nothing held: " + s);
        }
        // One session's page on either node: every node's totals and every node's requests, in order.
        for (TollgateServer node : new TollgateServer[] {a, b}) {
            JsonNode page = ObservabilityTest.await("the timeline of five", () -> {
                try {
                    JsonNode p = JSON.readTree(ObservabilityTest.get(node.port(), "/admin/sessions/task-1", ObservabilityTest.ADMIN).body());
                    return p.path("timeline").size() == 5 ? p : null;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(5, page.path("requests").asInt(), page.toString());
            assertTrue(page.path("timeline_covers").asText().contains("every node"), page.toString());
            JsonNode rows = page.path("timeline");
            List<Integer> statuses = new java.util.ArrayList<>();
            rows.forEach(r -> statuses.add(r.path("status").asInt()));
            assertEquals(List.of(200, 200, 200, 200, 400), statuses, "both nodes' requests, in the order they came: " + rows);
            assertEquals("sub-1", rows.get(3).path("agent").asText(), rows.toString());
            BigDecimal sum = BigDecimal.ZERO;
            for (JsonNode r : rows) {
                sum = sum.add(r.path("cost_usd").isNull() ? BigDecimal.ZERO : r.path("cost_usd").decimalValue());
            }
            assertEquals(0, new BigDecimal("0.08").compareTo(sum), "the rows add up to the session's cost: " + rows);
        }
        // tollgate usage --by session reads the same list.
        String table = dev.tollgate.server.usage.UsageCommand.sessionTable(JSON.readTree(
                ObservabilityTest.get(a.port(), "/admin/sessions?key=alice", ObservabilityTest.ADMIN).body()));
        assertTrue(table.contains("task-1 "), table);
    }

    @Test
    void parallelRequestsOfOneSessionOnBothNodesStayWithinItsBudget() throws Exception {
        int before = upstream.received.size();
        int requests = 40;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.List<java.util.concurrent.Future<HttpResponse<String>>> sent = new java.util.ArrayList<>();
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests; i++) {
                TollgateServer node = i % 2 == 0 ? a : b;
                sent.add(pool.submit(() -> {
                    go.await();
                    return chat(node, DAVE, "burst", null, HI);
                }));
            }
            go.countDown();
        }
        BigDecimal answered = BigDecimal.ZERO;
        int ok = 0;
        for (java.util.concurrent.Future<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
                answered = answered.add(new BigDecimal("0.02"));
            } else {
                assertEquals(400, r.statusCode(), r.body());
                assertTrue(r.body().contains("Session budget of key dave"), r.body());
            }
        }
        System.out.println("session budget $0.09 across two nodes: " + ok + " of " + requests + " parallel requests answered, $" + answered);
        assertEquals(ok, upstream.received.size() - before, "the upstream was asked only for the answered ones");
        assertTrue(ok >= 1 && answered.compareTo(new BigDecimal("0.11")) <= 0, "within the cap plus one request: $" + answered);
        JsonNode s = row(a, "dave", "burst", requests);
        assertEquals(0, answered.compareTo(s.path("cost_usd").decimalValue()), s.toString());
        assertEquals(requests - ok, s.path("errors").asInt(), s.toString());
    }

    @Test
    void aPauseTrippedOnOneNodeHoldsOnTheOtherUntilResumedThere() throws Exception {
        int before = upstream.received.size();
        // The same call answered on A, then B, then A: only a count the nodes share reaches three.
        assertEquals(200, chat(a, CAROL, "loop-1", null, toolTurn(1)).statusCode());
        assertEquals(200, chat(b, CAROL, "loop-1", null, toolTurn(2)).statusCode());
        HttpResponse<String> tripped = chat(a, CAROL, "loop-1", null, toolTurn(3));
        assertEquals(429, tripped.statusCode(), tripped.body());
        assertTrue(tripped.body().contains("'exec_command' with the same arguments 3 times in a row"), tripped.body());

        HttpResponse<String> onB = chat(b, CAROL, "loop-1", null, HI);
        assertEquals(429, onB.statusCode(), "paused on B too: " + onB.body());
        assertEquals("session_paused", JSON.readTree(onB.body()).path("error").path("code").asText());
        assertTrue(onB.body().contains("3 times in a row"), onB.body());
        long retryAfter = Long.parseLong(onB.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter > 200 && retryAfter <= 300, "until the pause ends: " + retryAfter);
        assertEquals(before + 2, upstream.received.size());

        JsonNode list = JSON.readTree(ObservabilityTest.get(b.port(), "/admin/sessions?key=carol", ObservabilityTest.ADMIN).body());
        assertEquals("loop-1", list.path("paused").get(0).path("id").asText(), list.toString());
        assertEquals("repeated_tool_call", list.path("paused").get(0).path("rule").asText(), list.toString());

        HttpResponse<String> resumed = ObservabilityTest.post(b.port(), "/admin/sessions/loop-1/resume", "",
                Map.of("authorization", "Bearer " + OPERATOR));
        assertEquals(200, resumed.statusCode(), resumed.body());
        assertEquals(200, chat(a, CAROL, "loop-1", null, toolTurn(4)).statusCode(), "resumed on B: A serves it again");
        assertEquals(before + 3, upstream.received.size());
        JsonNode s = row(a, "carol", "loop-1", 5);
        assertEquals(2, s.path("errors").asInt(), "both nodes' refusals: " + s);
        assertTrue(s.path("paused").isMissingNode(), s.toString());
    }
}
