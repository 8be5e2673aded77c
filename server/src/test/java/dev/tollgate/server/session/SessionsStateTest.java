package dev.tollgate.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GoogleErrors;
import dev.tollgate.server.route.TestClock;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The session state on its own clock: idle expiry, the size cap, and the brake's per-minute rules. */
class SessionsStateTest {

    private static final long CENT = Money.nanos(new BigDecimal("0.01"));

    private static KeyChain chain(String keyFields) throws Exception {
        PolicySnapshot s = PolicyLoader.load(Map.of("policy.yaml", ("""
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: fast, targets: [{provider: up, model: fast-up}]}
                pricing:
                  - {model: fast, input: 1, output: 1}
                customers:
                  - {id: acme}
                teams:
                  - {id: agents, customer: acme}
                keys:
                  - {id: alice, team: agents, sha256: %s, %s}
                """).formatted(dev.tollgate.policy.Secrets.sha256("tg-alice"), keyFields).getBytes(StandardCharsets.UTF_8)));
        return s.key("alice").orElseThrow();
    }

    private static Sessions.Key key(String id) {
        return new Sessions.Key("alice", id);
    }

    /** One request of a session that costs {@code cost}: admitted, then settled. */
    private static Sessions.Decision spend(Sessions sessions, KeyChain chain, String id, long cost) {
        Sessions.Decision d = sessions.admit(chain, key(id), "fast", cost, Optional.empty());
        if (d instanceof Sessions.Admitted a) {
            a.hold().settle(cost);
        }
        return d;
    }

    @Test
    void anIdleSessionIsForgottenAndItsSpendStartsAgain() throws Exception {
        KeyChain chain = chain("budgets: [{amount_usd: 0.05, period: session}]");
        TestClock clock = new TestClock();
        Sessions sessions = new Sessions(clock, Duration.ofMinutes(60), 100);
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "old", 4 * CENT));
        Sessions.Admitted held = (Sessions.Admitted) sessions.admit(chain, key("busy"), "fast", CENT, Optional.empty());
        assertInstanceOf(Sessions.Refused.class, spend(sessions, chain, "old", 2 * CENT), "4 + 2 cents pass the 5-cent cap");

        clock.advance(Duration.ofMinutes(61));
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "new", CENT)); // sweeps
        assertTrue(sessions.view(key("old")).isEmpty(), "idle an hour with nothing in flight: forgotten");
        assertTrue(sessions.view(key("busy")).isPresent(), "a session with a request in flight is kept however long it takes");
        assertEquals(2, sessions.size());
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "old", 4 * CENT), "the id came back: its spend starts from zero");
        held.hold().settle(CENT);
    }

    @Test
    void atTheCapTheLongestIdleSessionMakesRoom() throws Exception {
        KeyChain chain = chain("budgets: [{amount_usd: 1, period: session}]");
        TestClock clock = new TestClock();
        Sessions sessions = new Sessions(clock, Duration.ofHours(1), 2);
        spend(sessions, chain, "first", CENT);
        clock.advance(Duration.ofSeconds(1));
        spend(sessions, chain, "second", CENT);
        clock.advance(Duration.ofSeconds(1));
        spend(sessions, chain, "first", CENT); // first is now the more recent
        clock.advance(Duration.ofSeconds(1));
        spend(sessions, chain, "third", CENT);
        assertEquals(2, sessions.size(), "never more than the cap");
        assertTrue(sessions.view(key("second")).isEmpty(), "the longest idle went");
        assertEquals(2 * CENT, sessions.view(key("first")).orElseThrow().spentNanos());
        assertTrue(sessions.view(key("third")).isPresent());
    }

    @Test
    void moreRequestsThanTheRuleAllowsWithinAMinutePauseTheSession() throws Exception {
        KeyChain chain = chain("brake: {requests_per_minute: 3, pause_minutes: 2}");
        TestClock clock = new TestClock();
        Sessions sessions = new Sessions(clock);
        for (int i = 0; i < 3; i++) {
            assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "s", 0));
            clock.advance(Duration.ofSeconds(10));
        }
        Sessions.Refused refused = assertInstanceOf(Sessions.Refused.class, spend(sessions, chain, "s", 0));
        assertEquals("requests_per_minute", refused.rule());
        assertTrue(refused.error().message().contains("the session sent 4 requests within a minute (the brake allows 3)"), refused.error().message());
        assertEquals("120", ((GatewayError.SessionPaused) refused.error()).headers().get("Retry-After"));
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "other", 0), "another session of the key goes on");

        clock.advance(Duration.ofMinutes(2));
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "s", 0), "the pause ended and the minute has passed");
    }

    @Test
    void moreDollarsThanTheRuleAllowsWithinAMinutePauseTheSession() throws Exception {
        KeyChain chain = chain("brake: {usd_per_minute: 0.05}");
        TestClock clock = new TestClock();
        Sessions sessions = new Sessions(clock);
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "s", 3 * CENT));
        clock.advance(Duration.ofSeconds(30));
        assertInstanceOf(Sessions.Admitted.class, spend(sessions, chain, "s", 3 * CENT), "$0.03 spent before it: within the rule");
        clock.advance(Duration.ofSeconds(20));
        Sessions.Refused refused = assertInstanceOf(Sessions.Refused.class, spend(sessions, chain, "s", CENT));
        assertEquals("usd_per_minute", refused.rule());
        assertTrue(refused.error().message().contains("the session spent $0.06 within a minute (the brake allows $0.05)"), refused.error().message());

        // Google's dialect: RESOURCE_EXHAUSTED, with the reason and a RetryInfo Gemini CLI reads.
        JsonNode google = GoogleErrors.body(refused.error());
        assertEquals(429, google.path("error").path("code").asInt(), google.toString());
        assertEquals("RESOURCE_EXHAUSTED", google.path("error").path("status").asText(), google.toString());
        assertTrue(google.path("error").path("message").asText().contains("runaway brake"), google.toString());
        assertTrue(google.toString().contains("RetryInfo"), google.toString());
    }
}
