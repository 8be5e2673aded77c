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
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /admin/budgets through a real gateway: every budget's limit, balance, reset, burn rate and run-out date. */
class BudgetRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "tg-alice-key";
    private static final String BOB = "tg-bob-key";
    private static final String ANSWER = "{\"id\":\"c1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}}],"
            + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10}}";
    private static final String HI = "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

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
                customers:
                  - {id: acme}
                teams:
                  - {id: agents, customer: acme, budgets: [{amount_usd: 100, period: monthly}, {amount_usd: 5, period: session}]}
                keys:
                  - {id: alice, team: agents, sha256: %s, budgets: [{amount_usd: 1, period: daily}]}
                  - {id: bob, team: agents, sha256: %s, budgets: [{amount_usd: 0.025, period: total}]}
                """.formatted(port, Secrets.sha256(ObservabilityTest.ADMIN), Secrets.sha256(ALICE), Secrets.sha256(BOB));
    }

    private static JsonNode row(JsonNode budgets, String owner, String period) {
        for (JsonNode b : budgets.path("budgets")) {
            if (b.path("owner").asText().equals(owner) && b.path("period").asText().equals(period)) {
                return b;
            }
        }
        throw new AssertionError("no " + period + " budget of " + owner + ": " + budgets);
    }

    @Test
    void everyBudgetWithItsBalanceBurnRateAndRunOut(@TempDir Path state) throws Exception {
        try (FakeUpstream upstream = new FakeUpstream()) {
            upstream.answer(FakeUpstream.json(200, ANSWER));
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy(upstream.port()).getBytes(StandardCharsets.UTF_8)));
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, Telemetry.create(TelemetrySettings.defaults(), state))) {
                int port = gateway.port();
                assertEquals(401, ObservabilityTest.get(port, "/admin/budgets", "not-an-admin").statusCode());

                for (String key : new String[] {ALICE, ALICE, BOB}) {
                    HttpResponse<String> r = ObservabilityTest.post(port, "/v1/chat/completions", HI, Map.of("authorization", "Bearer " + key));
                    assertEquals(200, r.statusCode(), r.body());
                }
                // The burn rate reads the request log, written behind the response.
                JsonNode budgets = ObservabilityTest.await("the request log's three rows", () -> {
                    try {
                        HttpResponse<String> r = ObservabilityTest.get(port, "/admin/budgets", ObservabilityTest.ADMIN);
                        assertEquals(200, r.statusCode(), r.body());
                        JsonNode n = JSON.readTree(r.body());
                        return new BigDecimal(row(n, "agents", "monthly").path("burn_usd_per_day").asText()).signum() > 0
                                && new BigDecimal(row(n, "bob", "total").path("burn_usd_per_day").asText()).signum() > 0 ? n : null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Instant now = Instant.parse(budgets.path("now").asText());
                assertEquals(4, budgets.path("budgets").size(), budgets.toString());

                JsonNode alice = row(budgets, "alice", "daily");
                assertEquals("key", alice.path("level").asText());
                assertEquals(0, new BigDecimal("1").compareTo(alice.path("limit_usd").decimalValue()), alice.toString());
                assertEquals(0, new BigDecimal("0.04").compareTo(alice.path("spent_usd").decimalValue()), "two answers of $0.02: " + alice);
                assertEquals(0, new BigDecimal("0.96").compareTo(alice.path("remaining_usd").decimalValue()), alice.toString());
                LocalDate tomorrow = LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1);
                assertEquals(tomorrow.toString(), alice.path("resets").asText());
                // At today's rate the dollar lasts past midnight, or runs out between now and then: never before now, never after the reset.
                if (!alice.path("runs_out").isNull()) {
                    Instant out = Instant.parse(alice.path("runs_out").asText());
                    assertFalse(out.isBefore(now), alice.toString());
                    assertTrue(out.isBefore(tomorrow.atStartOfDay(ZoneOffset.UTC).toInstant()), alice.toString());
                }

                JsonNode team = row(budgets, "agents", "monthly");
                assertEquals(0, new BigDecimal("0.06").compareTo(team.path("spent_usd").decimalValue()), "every key of the team: " + team);

                JsonNode bob = row(budgets, "bob", "total");
                assertEquals(0, new BigDecimal("0.005").compareTo(bob.path("remaining_usd").decimalValue()), bob.toString());
                assertTrue(bob.path("resets").isNull(), "a total budget never resets: " + bob);
                // $0.02 in the last 24 hours: $0.02 a day, so the $0.005 left lasts a quarter of a day.
                assertEquals(0, new BigDecimal("0.02").compareTo(bob.path("burn_usd_per_day").decimalValue()), bob.toString());
                assertEquals(now.plus(Duration.ofHours(6)), Instant.parse(bob.path("runs_out").asText()), bob.toString());

                JsonNode session = row(budgets, "agents", "session");
                assertEquals(0, new BigDecimal("5").compareTo(session.path("limit_usd").decimalValue()), session.toString());
                assertTrue(session.path("spent_usd").isMissingNode(), "a cap per session has no one balance: " + session);
                assertTrue(session.path("note").asText().contains("/admin/sessions"), session.toString());
            }
        }
    }
}
