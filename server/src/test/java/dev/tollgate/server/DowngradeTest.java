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
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A budget's downgrade through a real gateway and a fake upstream, asserting on the model the upstream
 * was asked for: below the threshold nothing changes; past it a new session goes to the cheaper model
 * (header, request-log note, metric), an ongoing session keeps its model (and its prompt cache) until
 * a compaction, and a downgraded session stays downgraded.
 */
class DowngradeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "tg-alice-key";
    private static final String ANSWER = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"x\",\"output\":"
            + "[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"ok\"}]}],"
            + "\"usage\":{\"input_tokens\":10,\"output_tokens\":10,\"total_tokens\":20}}";

    private static String policy(int port) {
        // big costs $0.001 a token: an answer of 10 + 10 tokens is $0.02, 2% of alice's daily $1.
        return """
                providers:
                  - {id: up, kind: openai, base_url: "http://127.0.0.1:%d/v1", credential: "env:PATH"}
                models:
                  - {name: big, targets: [{provider: up, model: big-up}]}
                  - {name: small, targets: [{provider: up, model: small-up}]}
                pricing:
                  - {model: big, input: 1000, output: 1000}
                  - {model: small, input: 1, output: 1}
                admins:
                  - {id: watcher, role: viewer, sha256: %s}
                customers:
                  - {id: acme}
                teams:
                  - {id: agents, customer: acme}
                keys:
                  - {id: alice, team: agents, sha256: %s, budgets: [{amount_usd: 1, period: daily, downgrade: {at_percent: 5, to: small}}]}
                """.formatted(port, Secrets.sha256(ObservabilityTest.ADMIN), Secrets.sha256(ALICE));
    }

    private static final String USER = "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"fix the build\"}]}";

    private static String turn(String... more) {
        return "{\"model\":\"big\",\"max_output_tokens\":10,\"input\":[" + USER + (more.length == 0 ? "" : "," + String.join(",", more)) + "]}";
    }

    private static String compaction(String content) {
        return "{\"type\":\"compaction\",\"id\":\"cmp_1\",\"encrypted_content\":\"" + content + "\"}";
    }

    private static final String TRIGGER = "{\"type\":\"compaction_trigger\"}";

    private static HttpResponse<String> send(int port, String session, String body) throws Exception {
        Map<String, String> headers = new HashMap<>(Map.of("authorization", "Bearer " + ALICE));
        if (session != null) {
            headers.put("x-tollgate-session", session);
        }
        return ObservabilityTest.post(port, "/v1/responses", body, headers);
    }

    /** Sends one request and returns the model the upstream was asked for and the downgrade header, if any. */
    private static String[] turn(FakeUpstream upstream, int port, String session, String body) throws Exception {
        int before = upstream.received.size();
        HttpResponse<String> r = send(port, session, body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(before + 1, upstream.received.size());
        String model = JSON.readTree(upstream.received.getLast().body()).path("model").asText();
        Optional<String> header = r.headers().firstValue("x-tollgate-downgraded");
        if (header.isPresent()) {
            assertEquals("small", JSON.readTree(r.body()).path("model").asText(), "the answer names the model that answered");
        }
        return new String[] {model, header.orElse(null)};
    }

    @Test
    void aCrossedBudgetDowngradesNewSessionsAndSessionsAfterACompactionOnly(@TempDir Path state) throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            upstream.answer(FakeUpstream.json(200, ANSWER));
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(upstream.port()).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
                int port = gateway.port();

                // Below 5% ($0.00, $0.02, then $0.04 used): nothing changes, a new session included.
                assertEquals("big-up", turn(upstream, port, "s1", turn())[0]);
                assertEquals("big-up", turn(upstream, port, "s1", turn())[0]);
                String[] s2 = turn(upstream, port, "s2", turn());
                assertEquals("big-up", s2[0]);
                assertEquals(null, s2[1]);

                // Now $0.06 (6%): an ongoing session keeps its model, so its prompt cache stays warm.
                String[] ongoing = turn(upstream, port, "s1", turn());
                assertEquals("big-up", ongoing[0], "not switched mid-way");
                assertEquals(null, ongoing[1]);

                // A new session goes to the cheaper model from its first request, and says so.
                String[] fresh = turn(upstream, port, "s3", turn());
                assertEquals("small-up", fresh[0]);
                assertTrue(fresh[1].startsWith("big -> small (daily budget of key alice: $0.08 of $1.00 used or held (8%), downgrade at 5%"),
                        fresh[1]);
                assertEquals("small-up", turn(upstream, port, "s3", turn())[0], "once downgraded, a session stays downgraded");

                // After a compaction the old session switches: the request that carries the new compaction item...
                String[] compacted = turn(upstream, port, "s1", turn(compaction("opaque-1")));
                assertEquals("small-up", compacted[0]);
                assertTrue(compacted[1] != null, "the header tells the client");
                // ...and later requests resend that item: it stays where it went.
                assertEquals("small-up", turn(upstream, port, "s1", turn(compaction("opaque-1"), USER))[0]);

                // Codex's compaction_trigger: the summary is written by the session's model; the next request switches.
                assertEquals("big-up", turn(upstream, port, "s2", turn(TRIGGER))[0], "the compaction itself reads the cache");
                assertEquals("small-up", turn(upstream, port, "s2", turn())[0], "right after a compaction");

                // A request outside any session has no cache the gateway could keep: it goes at once.
                assertEquals("small-up", turn(upstream, port, null, turn())[0]);

                // The request log says why; the metric counts downgraded requests (s3 x2, s1 x2, s2, no session).
                JsonNode timeline = ObservabilityTest.await("s3's timeline", () -> {
                    try {
                        JsonNode t = JSON.readTree(ObservabilityTest.get(port, "/admin/sessions/s3?key=alice", ObservabilityTest.ADMIN).body());
                        return t.path("timeline").size() == 2 ? t : null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                String notes = timeline.path("timeline").get(0).path("notes").asText();
                assertTrue(notes.startsWith("Downgraded big -> small: daily budget of key alice: $0.08 of $1.00"), timeline.toString());
                String metrics = ObservabilityTest.await("the downgrade counter", () -> {
                    try {
                        String m = ObservabilityTest.get(port, "/metrics", ObservabilityTest.ADMIN).body();
                        return m.contains("tollgate_budget_downgrades_total 6.0") ? m : null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertTrue(metrics.contains("tollgate_budget_downgrades_total 6.0"), metrics);
            }
        }
    }
}
