package dev.tollgate.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.route.TestClock;
import dev.tollgate.server.shared.RedisProcess;
import dev.tollgate.server.shared.SharedRedis;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent sessions shared by two nodes through one real redis-server (each node its own connection and
 * its own {@link Sessions}): a session budget holds across both under concurrency, the brake's counts
 * and pause are the same on both and a resume on either lifts it, a downgrade decided on one holds on the
 * other, and an unreachable Redis fails closed.
 */
class SharedSessionsTest {

    private static final long CENT = Money.nanos(new BigDecimal("0.01"));
    private static final AtomicInteger RUN = new AtomicInteger();

    @RegisterExtension
    static final SharedRedis redis = SharedRedis.withNodes(2);

    private static KeyChain chain(String keyFields) throws Exception {
        PolicySnapshot s = PolicyLoader.load(Map.of("policy.yaml", ("""
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: fast, targets: [{provider: up, model: fast-up}]}
                  - {name: cheap, targets: [{provider: up, model: cheap-up}]}
                pricing:
                  - {model: fast, input: 1, output: 1}
                  - {model: cheap, input: 1, output: 1}
                customers:
                  - {id: acme}
                teams:
                  - {id: agents, customer: acme}
                keys:
                  - {id: alice, team: agents, sha256: %s, %s}
                """).formatted(dev.tollgate.policy.Secrets.sha256("tg-alice"), keyFields).getBytes(StandardCharsets.UTF_8)));
        return s.key("alice").orElseThrow();
    }

    /** Two nodes' session state on one Redis, apart from every other test's keys. */
    private static Sessions[] nodes(java.time.Clock clock) {
        String prefix = "t" + RUN.incrementAndGet() + ":";
        return new Sessions[] {
                new Sessions(clock, new SharedSessions(redis.store(0), prefix, Duration.ofHours(1))),
                new Sessions(clock, new SharedSessions(redis.store(1), prefix, Duration.ofHours(1)))};
    }

    private static Sessions.Key key(String id) {
        return new Sessions.Key("alice", id);
    }

    private static Sessions.Decision spend(Sessions sessions, KeyChain chain, String id, long cost, Optional<ToolCall> call) {
        Sessions.Decision d = sessions.admit(chain, key(id), "fast", cost, call);
        if (d instanceof Sessions.Admitted a) {
            a.hold().settle(cost);
        }
        return d;
    }

    @Test
    void aSessionBudgetHoldsAcrossTwoNodesUnderConcurrency() throws Exception {
        KeyChain chain = chain("budgets: [{amount_usd: 0.05, period: session, warn_at_percent: 80}]");
        Sessions[] node = nodes(java.time.Clock.systemUTC());
        int requests = 100;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Sessions.Decision>> sent = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests; i++) {
                Sessions n = node[i % 2];
                sent.add(pool.submit(() -> {
                    go.await();
                    return spend(n, chain, "task", CENT, Optional.empty());
                }));
            }
            go.countDown();
        }
        int admitted = 0;
        int[] byNode = new int[2];
        int warned = 0;
        for (int i = 0; i < requests; i++) {
            Sessions.Decision d = sent.get(i).get();
            if (d instanceof Sessions.Admitted a) {
                admitted++;
                byNode[i % 2]++;
                warned += a.warnings().isEmpty() ? 0 : 1;
            } else {
                Sessions.Refused r = assertInstanceOf(Sessions.Refused.class, d);
                assertInstanceOf(GatewayError.BudgetExhausted.class, r.error());
                assertTrue(r.error().message().startsWith("Session budget of key alice "), r.error().message());
            }
        }
        // Each node alone would have let five through: together they let five through, not ten.
        assertEquals(5, admitted, "a cent each against a five-cent cap, on both nodes: " + byNode[0] + " + " + byNode[1]);
        assertEquals(2, warned, "the fourth and fifth cent pass 80%");
        for (Sessions n : node) {
            Sessions.View v = n.view(key("task")).orElseThrow();
            assertEquals(5 * CENT, v.spentNanos(), "both nodes see the session's whole spend");
            assertEquals(0, v.inFlightNanos(), "nothing held once every request settled");
        }
        // Another session of the key has its own cap.
        assertInstanceOf(Sessions.Admitted.class, spend(node[1], chain, "task-2", CENT, Optional.empty()));
    }

    @Test
    void theBrakeTrippedOnOneNodeHoldsOnTheOtherUntilAnOperatorResumesItThere() throws Exception {
        KeyChain chain = chain("brake: {repeated_tool_call: 3, pause_minutes: 5}");
        TestClock clock = new TestClock();
        Sessions[] node = nodes(clock);
        List<Sessions.Trip> trips = new ArrayList<>();
        node[0].onTrip(trips::add);
        node[1].onTrip(trips::add);
        // The same call at positions 1, 2, 3, alternating nodes: only a shared count reaches three.
        assertInstanceOf(Sessions.Admitted.class, spend(node[0], chain, "loop", CENT, Optional.of(new ToolCall("exec_command", "sig", 1))));
        assertInstanceOf(Sessions.Admitted.class, spend(node[1], chain, "loop", CENT, Optional.of(new ToolCall("exec_command", "sig", 1))),
                "a retried request is no new call, on another node too");
        assertInstanceOf(Sessions.Admitted.class, spend(node[1], chain, "loop", CENT, Optional.of(new ToolCall("exec_command", "sig", 2))));
        Sessions.Refused tripped = assertInstanceOf(Sessions.Refused.class,
                spend(node[0], chain, "loop", CENT, Optional.of(new ToolCall("exec_command", "sig", 3))));
        assertEquals("repeated_tool_call", tripped.rule());
        assertTrue(tripped.error().message().contains("'exec_command' with the same arguments 3 times in a row (the brake allows 2)"),
                tripped.error().message());
        assertEquals(1, trips.size(), "told once, on the node where it tripped");

        clock.advance(Duration.ofMinutes(1));
        Sessions.Refused onB = assertInstanceOf(Sessions.Refused.class, spend(node[1], chain, "loop", CENT, Optional.empty()));
        assertEquals("repeated_tool_call", onB.rule());
        assertTrue(onB.error().message().contains("3 times in a row"), onB.error().message());
        assertEquals("240", ((GatewayError.SessionPaused) onB.error()).headers().get("Retry-After"), "the pause ends at the same time on B");
        assertEquals(List.of(key("loop")), node[1].paused().stream().map(Sessions.View::key).toList());
        assertInstanceOf(Sessions.Admitted.class, spend(node[1], chain, "other", CENT, Optional.empty()), "another session goes on");

        assertEquals(List.of(key("loop")), node[1].resume("loop", null), "resumed on B");
        assertTrue(node[0].view(key("loop")).orElseThrow().pause() == null, "A sees no pause");
        assertInstanceOf(Sessions.Admitted.class, spend(node[0], chain, "loop", CENT, Optional.of(new ToolCall("exec_command", "sig", 4))),
                "resumed: A serves it, and the count starts again");
        assertInstanceOf(Sessions.Admitted.class, spend(node[1], chain, "loop", CENT, Optional.of(new ToolCall("exec_command", "sig", 5))));
        assertTrue(node[0].resume("loop", "alice").isEmpty(), "not paused now");
    }

    /**
     * Subagents running in parallel may run the same command: each agent has its own repeat streak, on
     * one node and shared; one agent repeating itself still trips the brake.
     */
    @Test
    void eachSubagentHasItsOwnRepeatStreak() throws Exception {
        KeyChain chain = chain("brake: {repeated_tool_call: 3, pause_minutes: 5}");
        Sessions[] shared = nodes(java.time.Clock.systemUTC());
        for (Sessions[] node : List.of(new Sessions[] {new Sessions(java.time.Clock.systemUTC())}, shared)) {
            Sessions a = node[0];
            Sessions b = node[node.length - 1];
            String id = "agents-" + node.length;
            // The main agent and two subagents each run `ls` twice, interleaved, over both nodes: six in a row, no loop.
            int position = 1;
            for (int round = 0; round < 2; round++) {
                for (String agent : new String[] {null, "a1", "a2"}) {
                    Sessions n = position % 2 == 0 ? a : b;
                    assertInstanceOf(Sessions.Admitted.class, spend(n, chain, id, CENT, Optional.of(new ToolCall("ls", "ls#x", round + 1).by(agent))),
                            "agent " + agent + " round " + round);
                    position++;
                }
            }
            // Subagent a1 runs it a third time in a row: its own loop.
            Sessions.Refused tripped = assertInstanceOf(Sessions.Refused.class,
                    spend(a, chain, id, CENT, Optional.of(new ToolCall("ls", "ls#x", 3).by("a1"))));
            assertEquals("repeated_tool_call", tripped.rule());
            assertEquals(List.of(key(id)), b.resume(id, null));
            // Resumed: every streak starts again.
            assertInstanceOf(Sessions.Admitted.class, spend(b, chain, id, CENT, Optional.of(new ToolCall("ls", "ls#x", 4).by("a2"))));
            assertInstanceOf(Sessions.Admitted.class, spend(a, chain, id, CENT, Optional.of(new ToolCall("ls", "ls#x", 4).by("a1"))));
        }
    }

    @Test
    void requestsPerMinuteCountEveryNodesRequests() throws Exception {
        KeyChain chain = chain("brake: {requests_per_minute: 3, pause_minutes: 2}");
        TestClock clock = new TestClock();
        Sessions[] node = nodes(clock);
        for (int i = 0; i < 3; i++) {
            assertInstanceOf(Sessions.Admitted.class, spend(node[i % 2], chain, "s", 0, Optional.empty()));
            clock.advance(Duration.ofSeconds(10));
        }
        Sessions.Refused r = assertInstanceOf(Sessions.Refused.class, spend(node[1], chain, "s", 0, Optional.empty()));
        assertEquals("requests_per_minute", r.rule());
        assertTrue(r.error().message().contains("the session sent 4 requests within a minute (the brake allows 3)"), r.error().message());
        clock.advance(Duration.ofMinutes(2));
        assertInstanceOf(Sessions.Admitted.class, spend(node[0], chain, "s", 0, Optional.empty()), "the pause ended and the minute passed");
    }

    @Test
    void dollarsPerMinuteCountEveryNodesSpend() throws Exception {
        KeyChain chain = chain("brake: {usd_per_minute: 0.05}");
        TestClock clock = new TestClock();
        Sessions[] node = nodes(clock);
        assertInstanceOf(Sessions.Admitted.class, spend(node[0], chain, "s", 3 * CENT, Optional.empty()));
        clock.advance(Duration.ofSeconds(30));
        assertInstanceOf(Sessions.Admitted.class, spend(node[1], chain, "s", 3 * CENT, Optional.empty()));
        clock.advance(Duration.ofSeconds(20));
        Sessions.Refused r = assertInstanceOf(Sessions.Refused.class, spend(node[0], chain, "s", CENT, Optional.empty()));
        assertTrue(r.error().message().contains("the session spent $0.06 within a minute (the brake allows $0.05)"), r.error().message());
    }

    @Test
    void aDowngradeDecidedOnOneNodeHoldsOnTheOther() throws Exception {
        Sessions[] node = nodes(java.time.Clock.systemUTC());
        Sessions.Pacing cheaper = new Sessions.Pacing("fast", "cheap", "session budget of key alice: 80%");
        assertEquals(Optional.of(cheaper), node[0].pace(key("p"), "fast", Optional.empty(), false, spent -> Optional.of(cheaper)),
                "the session's first request for the model: a switch point");
        assertEquals(Optional.of(cheaper), node[1].pace(key("p"), "fast", Optional.empty(), false, spent -> {
            throw new AssertionError("B decided afresh: the session's lane is not shared");
        }), "once downgraded it stays so, on every node");
        // A session that stays on its model keeps it on the other node too, until a switch point.
        assertEquals(Optional.empty(), node[0].pace(key("q"), "fast", Optional.empty(), false, spent -> Optional.empty()));
        assertEquals(Optional.empty(), node[1].pace(key("q"), "fast", Optional.empty(), false, spent -> Optional.of(cheaper)),
                "mid-session: the prompt cache is kept, whatever B would decide");
        assertEquals(Optional.of(cheaper), node[1].pace(key("q"), "fast", Optional.of("c1:10"), false, spent -> Optional.of(cheaper)),
                "a new compaction is a switch point");
    }

    @Test
    void anUnreachableRedisFailsClosedAndASettlementItMissedIsBookedOnceItIsBack(@TempDir Path dir) throws Exception {
        KeyChain chain = chain("budgets: [{amount_usd: 0.05, period: session}]");
        RedisProcess own = RedisProcess.start(dir);
        try (SharedStore store = SharedStore.of(own.url())) {
            Sessions sessions = new Sessions(java.time.Clock.systemUTC(), new SharedSessions(store, "down:", Duration.ofHours(1)));
            Sessions.Admitted held = assertInstanceOf(Sessions.Admitted.class, sessions.admit(chain, key("s"), "fast", 2 * CENT, Optional.empty()));
            own.stop(true);
            assertThrows(StoreUnreachable.class, () -> sessions.admit(chain, key("s"), "fast", CENT, Optional.empty()),
                    "no session budget can be checked: the gate answers 503");
            held.hold().settle(2 * CENT); // kept owed, not thrown into the request
            own = RedisProcess.start(dir, own.port());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Sessions.Decision next = null;
            while (next == null) {
                try {
                    next = sessions.admit(chain, key("s"), "fast", 4 * CENT, Optional.empty());
                } catch (StoreUnreachable reconnecting) {
                    assertTrue(System.nanoTime() < deadline, "the node never reached the restarted Redis");
                    Thread.sleep(50);
                }
            }
            // The restarted Redis lost everything, then took the owed cost before this request: 2 + 4 cents pass 5.
            Sessions.Refused r = assertInstanceOf(Sessions.Refused.class, next);
            assertTrue(r.error().message().contains("$0.02 of $0.05 used"), r.error().message());
        } finally {
            own.close();
        }
    }
}
