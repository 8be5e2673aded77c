package dev.tollgate.server.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import dev.tollgate.server.ledger.SqliteLedger;
import dev.tollgate.server.shared.RedisProcess;
import dev.tollgate.server.shared.SharedRedis;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The budget scripts against a real redis-server: the same decisions as the in-memory book, settled once. */
class RedisBudgetsTest {

    private static final long CENTS = 10_000_000L;
    private static final long DAY = LocalDate.parse("2026-11-27").toEpochDay(); // a Friday, end of the month near

    @RegisterExtension
    static final SharedRedis redis = SharedRedis.withNodes(1);

    @TempDir
    Path state;

    private static RedisBudgets budgets() {
        return new RedisBudgets(redis.store(), "node-a", "t-" + UUID.randomUUID() + ":");
    }

    private static Reservation reservation(long id, long day, String model, long nanos) {
        return new Reservation(id, day * 86_400_000L, day, "alice", "infra", "acme", model, nanos);
    }

    private static Charge cost(long nanos) {
        return new Charge(nanos, Usage.NONE, false);
    }

    private static String outcome(Optional<BudgetRefusal> refusal) {
        return refusal.map(BudgetRefusal::message).orElse("held");
    }

    /** Lettuce reconnects on its own; wait for it (bounded) rather than guess how long it takes. */
    static void awaitReconnected(SharedStore s) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!s.reachable()) {
            assertTrue(System.nanoTime() < deadline, "Lettuce did not reconnect within 15 s");
            Thread.sleep(50);
        }
    }

    @Test
    void refusesExactlyWhenTheBookWouldAcrossTheWholeChainAndEveryPeriod() throws Exception {
        KeyChain chain = SpendTest.chain(); // key: $1 daily, $0.50 daily for model big; team: $2.40 monthly
        RedisBudgets shared = budgets();
        SpendBook book = new SpendBook();
        record Step(int dayOffset, String model, long nanos, long cost) {
        }
        List<Step> steps = List.of(
                new Step(0, "small", 60 * CENTS, 60 * CENTS), new Step(0, "small", 41 * CENTS, 0), new Step(0, "small", 40 * CENTS, 40 * CENTS),
                new Step(0, "small", 1, 0), new Step(0, "small", 0, 0), // spent: a zero estimate is refused too
                new Step(1, "big", 50 * CENTS, 50 * CENTS), new Step(1, "big", 1, 0), new Step(1, "small", 50 * CENTS, 50 * CENTS),
                new Step(2, "small", 30 * CENTS, 20 * CENTS), // the month: $2.20 of $2.40
                new Step(3, "small", 21 * CENTS, 0), new Step(3, "small", 20 * CENTS, 20 * CENTS), new Step(3, "small", 0, 0),
                new Step(4, "small", 60 * CENTS, 60 * CENTS)); // 2026-12-01: a new month and a new day
        long id = 0;
        List<String> fromRedis = new ArrayList<>();
        List<String> fromBook = new ArrayList<>();
        for (Step s : steps) {
            long day = DAY + s.dayOffset();
            Reservation r = reservation(++id, day, s.model(), s.nanos());
            Optional<BudgetRefusal> a = shared.reserve(chain, s.model(), s.nanos(), day, r);
            Optional<BudgetRefusal> b = book.reserve(chain, s.model(), s.nanos(), day, r);
            fromRedis.add(outcome(a));
            fromBook.add(outcome(b));
            if (a.isEmpty()) {
                assertTrue(shared.settle(r, cost(s.cost())));
            }
            if (b.isEmpty()) {
                book.settle(r, cost(s.cost()));
            }
        }
        assertEquals(fromBook, fromRedis);
        assertEquals(List.of("held", "daily budget of key alice would be exceeded: $0.60 of $1.00 used and this request needs about $0.41;"
                + " resets 2026-11-28.", "held", "daily budget of key alice is spent: $1.00 of $1.00; resets 2026-11-28."),
                fromRedis.subList(0, 4));
        assertEquals("daily budget for model big of key alice is spent: $0.50 of $0.50; resets 2026-11-29.", fromRedis.get(6));
        assertEquals("monthly budget of team infra would be exceeded: $2.20 of $2.40 used and this request needs about $0.21;"
                + " resets 2026-12-01.", fromRedis.get(9));
        assertEquals("monthly budget of team infra is spent: $2.40 of $2.40; resets 2026-12-01.", fromRedis.get(11));
        assertEquals("held", fromRedis.get(12));
        assertEquals(new Budgets.Balance(60 * CENTS, 0),
                shared.balance(new Budgets.AccountId(Level.TEAM, "infra", ""), Budget.Period.MONTHLY, DAY + 4));
        assertEquals(new Budgets.Balance(300 * CENTS, 0),
                shared.balance(new Budgets.AccountId(Level.CUSTOMER, "acme", ""), Budget.Period.TOTAL, DAY + 4));
    }

    @Test
    void settleReplacesTheHoldByTheCostInThePeriodsOfTheReservation() throws Exception {
        KeyChain chain = SpendTest.chain();
        RedisBudgets shared = budgets();
        Budgets.AccountId key = new Budgets.AccountId(Level.KEY, "alice", "");
        Reservation r = reservation(1, DAY, "small", 90 * CENTS);
        assertTrue(shared.reserve(chain, "small", 90 * CENTS, DAY, r).isEmpty());
        assertEquals(new Budgets.Balance(0, 90 * CENTS), shared.balance(key, Budget.Period.DAILY, DAY));
        assertFalse(shared.reserve(chain, "small", 20 * CENTS, DAY, reservation(2, DAY, "small", 20 * CENTS)).isEmpty());

        // Settled after midnight: the cost counts in the day it was reserved in, the new day starts at zero.
        assertTrue(shared.settle(r, cost(15 * CENTS)));
        assertEquals(new Budgets.Balance(15 * CENTS, 0), shared.balance(key, Budget.Period.DAILY, DAY));
        assertEquals(new Budgets.Balance(0, 0), shared.balance(key, Budget.Period.DAILY, DAY + 1));
        assertEquals(new Budgets.Balance(15 * CENTS, 0), shared.balance(key, Budget.Period.MONTHLY, DAY + 1));
        assertTrue(shared.reserve(chain, "small", 85 * CENTS, DAY, reservation(3, DAY, "small", 85 * CENTS)).isEmpty());

        // Period hashes live until a day after their period, counted from the reservation's day (not
        // a Unix time that Redis's clock would judge: DAY is long past); a total never expires.
        long dailyTtl = redis.store().call(c -> c.ttl(shared.key(key, Budget.Period.DAILY, DAY)));
        long expected = 2 * 86_400L;
        assertTrue(dailyTtl > expected - 60 && dailyTtl <= expected, "daily hash TTL " + dailyTtl + ", expected about " + expected);
        long totalTtl = redis.store().call(c -> c.ttl(shared.key(key, Budget.Period.TOTAL, DAY)));
        assertEquals(-1L, totalTtl);
    }

    @Test
    void aReplayedSettlementCountsOnce() throws Exception {
        KeyChain chain = SpendTest.chain();
        RedisBudgets shared = budgets();
        Budgets.AccountId team = new Budgets.AccountId(Level.TEAM, "infra", "");
        Reservation r = reservation(7, DAY, "small", 30 * CENTS);
        assertTrue(shared.reserve(chain, "small", 30 * CENTS, DAY, r).isEmpty());
        assertTrue(shared.book(r, cost(25 * CENTS)));
        assertFalse(shared.book(r, cost(25 * CENTS)), "the marker says it is booked");
        assertEquals(new Budgets.Balance(25 * CENTS, 0), shared.balance(team, Budget.Period.MONTHLY, DAY));

        // Through the ledger: a settlement kept owed is replayed once, however often replay runs.
        try (SqliteLedger ledger = SqliteLedger.open(state, false)) {
            Reservation owed = reservation(ledger.nextId(), DAY, "small", 10 * CENTS);
            assertTrue(shared.reserve(chain, "small", 10 * CENTS, DAY, owed).isEmpty());
            ledger.reserved(owed);
            ledger.settled(owed, new Charge(4 * CENTS, Usage.NONE, false), true);
            shared.open(ledger, DAY); // replays on its own thread too
            shared.replay();
            shared.replay();
            assertEquals(List.of(), ledger.owed(10));
            assertEquals(new Budgets.Balance(29 * CENTS, 0), shared.balance(team, Budget.Period.MONTHLY, DAY));
            shared.close();
        }
    }

    @Test
    void unsettledReservationsAreChargedAtTheirReservedAmountAtStartReleasingTheirHolds() throws Exception {
        KeyChain chain = SpendTest.chain();
        String prefix = "t-" + UUID.randomUUID() + ":";
        Budgets.AccountId key = new Budgets.AccountId(Level.KEY, "alice", "");
        SpendTest.MovableClock clock = new SpendTest.MovableClock(Instant.ofEpochSecond(DAY * 86_400L + 3600));
        try (Spend spend = new Spend(() -> SqliteLedger.open(state, false), clock, new RedisBudgets(redis.store(), "node-a", prefix))) {
            assertInstanceOf(Spend.Held.class, spend.reserve(chain, "small", 35 * CENTS));
            assertEquals(new Budgets.Balance(0, 35 * CENTS), spend.balance(key, Budget.Period.DAILY));
        } // closed mid-request: the reservation is in the ledger, its hold in Redis
        RedisBudgets restarted = new RedisBudgets(redis.store(), "node-a", prefix);
        try (Spend spend = new Spend(() -> SqliteLedger.open(state, false), clock, restarted)) {
            spend.ledger();
            restarted.replay();
            assertEquals(new Budgets.Balance(35 * CENTS, 0), spend.balance(key, Budget.Period.DAILY));
        }
    }

    @Test
    void aSettlementRedisMissedIsKeptInTheLedgerAndBookedWhenRedisIsBack(@TempDir Path redisState) throws Exception {
        KeyChain chain = SpendTest.chain();
        RedisProcess own = RedisProcess.start(redisState);
        int port = own.port();
        try (SharedStore ownStore = SharedStore.of(own.url())) {
            RedisBudgets budgets = new RedisBudgets(ownStore, "node-a", "t:");
            SpendTest.MovableClock clock = new SpendTest.MovableClock(Instant.ofEpochSecond(DAY * 86_400L + 3600));
            try (Spend spend = new Spend(() -> SqliteLedger.open(state, false), clock, budgets)) {
                Reservation r = assertInstanceOf(Spend.Held.class, spend.reserve(chain, "small", 20 * CENTS)).reservation();
                own.stop(true);
                spend.settle(r, new Charge(12 * CENTS, Usage.NONE, false)); // durable in the ledger, owed to Redis
                assertThrows(StoreUnreachable.class, () -> spend.reserve(chain, "small", CENTS));
                // Owed: the settlement (and, had the refused reservation's script been sent, a zero cost releasing its hold).
                assertTrue(spend.ledger().owed(10).contains(new Ledger.Owed(r, new Charge(12 * CENTS, Usage.NONE, false))), spend.ledger().owed(10).toString());

                own = RedisProcess.start(redisState, port); // empty: nothing was saved
                awaitReconnected(ownStore);
                assertTrue(budgets.replay() >= 1);
                assertEquals(List.of(), spend.ledger().owed(10));
                assertEquals(new Budgets.Balance(12 * CENTS, 0),
                        spend.balance(new Budgets.AccountId(Level.KEY, "alice", ""), Budget.Period.DAILY));
            }
        } finally {
            own.close();
        }
    }
}
