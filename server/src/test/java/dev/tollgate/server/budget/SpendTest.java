package dev.tollgate.server.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import dev.tollgate.server.ledger.SqliteLedger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Budgets reserve then settle, roll over at calendar boundaries without a restart, and recover from the ledger. */
class SpendTest {

    @TempDir
    Path state;

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static KeyChain chain() throws Exception {
        PolicySnapshot policy = PolicyLoader.load(Map.of("p.yaml", ("""
                providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}]
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme, budgets: [{amount_usd: 2.4, period: monthly}]}]
                keys:
                  - id: alice
                    team: infra
                    sha256: %s
                    budgets: [{amount_usd: 1, period: daily}, {amount_usd: 0.5, period: daily, model: big}]
                """.formatted(Secrets.sha256("alice-secret"))).getBytes(StandardCharsets.UTF_8)));
        return policy.keyBySecret("alice-secret").orElseThrow();
    }

    private static final long CENTS_60 = 600_000_000L;

    private Spend spend(Clock clock) {
        return new Spend(() -> SqliteLedger.open(state, false), clock);
    }

    private static Reservation held(Spend.Hold hold) {
        return assertInstanceOf(Spend.Held.class, hold, () -> "refused: " + hold).reservation();
    }

    @Test
    void periodsRollOverAtMidnightAndMonthStartWithoutRestart() throws Exception {
        KeyChain chain = chain();
        MovableClock clock = new MovableClock(Instant.parse("2026-11-27T23:00:00Z"));
        try (Spend spend = spend(clock)) {
            spend.settle(held(spend.reserve(chain, "small", CENTS_60)), new Charge(CENTS_60, Usage.NONE, false));
            Spend.Refused daily = assertInstanceOf(Spend.Refused.class, spend.reserve(chain, "small", CENTS_60));
            assertEquals("daily budget of key alice would be exceeded: $0.60 of $1.00 used and this request needs about $0.60;"
                    + " resets 2026-11-28.", daily.refusal().message());

            clock.advance(Duration.ofHours(2)); // 2026-11-28 01:00: a new day, the month goes on
            spend.settle(held(spend.reserve(chain, "small", CENTS_60)), new Charge(CENTS_60, Usage.NONE, false));
            clock.advance(Duration.ofDays(1));
            spend.settle(held(spend.reserve(chain, "small", CENTS_60)), new Charge(CENTS_60, Usage.NONE, false));
            clock.advance(Duration.ofDays(1)); // 2026-11-30: $1.80 this month
            spend.settle(held(spend.reserve(chain, "small", CENTS_60)), new Charge(CENTS_60, Usage.NONE, false));
            // $2.40 used this month: the team's monthly budget is spent, though the key's day is not
            Spend.Refused monthly = assertInstanceOf(Spend.Refused.class, spend.reserve(chain, "small", 1));
            assertEquals("monthly budget of team infra is spent: $2.40 of $2.40; resets 2026-12-01.", monthly.refusal().message());

            clock.advance(Duration.ofDays(1)); // 2026-12-01
            held(spend.reserve(chain, "small", CENTS_60));
            assertEquals(new Budgets.Balance(0, CENTS_60),
                    spend.balance(new Budgets.AccountId(Level.TEAM, "infra", ""), Budget.Period.MONTHLY));
            assertEquals(4 * CENTS_60, spend.balance(new Budgets.AccountId(Level.TEAM, "infra", ""), Budget.Period.TOTAL).spentNanos());
        }
    }

    @Test
    void aPerModelBudgetCountsOnlyThatModel() throws Exception {
        KeyChain chain = chain();
        try (Spend spend = spend(new MovableClock(Instant.parse("2026-11-10T10:00:00Z")))) {
            spend.settle(held(spend.reserve(chain, "big", 400_000_000L)), new Charge(400_000_000L, Usage.NONE, false));
            Spend.Refused refused = assertInstanceOf(Spend.Refused.class, spend.reserve(chain, "big", 200_000_000L));
            assertTrue(refused.refusal().message().startsWith("daily budget for model big of key alice"), refused.refusal().message());
            held(spend.reserve(chain, "small", 200_000_000L));
        }
    }

    @Test
    void reservationsNeverSettledAreChargedAtTheirAmountAfterACrash() throws Exception {
        KeyChain chain = chain();
        MovableClock clock = new MovableClock(Instant.parse("2026-11-10T10:00:00Z"));
        try (Spend spend = spend(clock)) {
            spend.settle(held(spend.reserve(chain, "small", 100_000_000L)), new Charge(70_000_000L, Usage.NONE, false));
            held(spend.reserve(chain, "small", 250_000_000L)); // in flight when the process dies
        }
        try (Spend restarted = spend(clock)) {
            var balance = restarted.balance(new Budgets.AccountId(Level.KEY, "alice", ""), Budget.Period.DAILY);
            assertEquals(new Budgets.Balance(320_000_000L, 0), balance);
            var report = restarted.ledger().usage(Ledger.By.KEY, 0);
            assertEquals(2, report.getFirst().requests());
            assertEquals(320_000_000L, report.getFirst().spentNanos());
        }
    }
}
