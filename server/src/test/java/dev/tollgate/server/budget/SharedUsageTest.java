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
import dev.tollgate.server.shared.SharedRedis;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Usage reports from the counters settlements add to in a real redis-server: every node's, each settlement once. */
class SharedUsageTest {

    private static final long CENTS = 10_000_000L;
    private static final long DAY = LocalDate.parse("2026-11-27").toEpochDay(); // a Friday: its week began on the 23rd

    @RegisterExtension
    static final SharedRedis redis = SharedRedis.withNodes(1);

    private static Reservation reservation(long id, long day, String key, String model, long nanos) {
        return new Reservation(id, day * 86_400_000L, day, key, "infra", "acme", model, nanos);
    }

    private static Charge charge(long nanos, long in, long out) {
        return new Charge(nanos, new Usage(in, out, 0, 0, 0), false);
    }

    @Test
    void aReportOnOneNodeCoversWhatEveryNodeSettled(@TempDir Path a, @TempDir Path b) throws Exception {
        KeyChain chain = SpendTest.chain();
        String prefix = "t-" + UUID.randomUUID() + ":";
        SpendTest.MovableClock clock = new SpendTest.MovableClock(Instant.ofEpochSecond(DAY * 86_400L + 36_000));
        try (Spend nodeA = new Spend(() -> SqliteLedger.open(a, false), clock, new RedisBudgets(redis.store(), "node-a", prefix));
             Spend nodeB = new Spend(() -> SqliteLedger.open(b, false), clock, new RedisBudgets(redis.store(), "node-b", prefix))) {
            nodeA.settle(assertInstanceOf(Spend.Held.class, nodeA.reserve(chain, "small", 20 * CENTS)).reservation(), charge(12 * CENTS, 100, 20));
            nodeB.settle(assertInstanceOf(Spend.Held.class, nodeB.reserve(chain, "small", 20 * CENTS)).reservation(), charge(8 * CENTS, 50, 10));
            // A model no provider answered for counts under one name: callers cannot add a field per made-up model.
            nodeB.settle(assertInstanceOf(Spend.Held.class, nodeB.reserve(chain, "made-up-1", CENTS)).reservation(), charge(0, 0, 0));
            assertInstanceOf(Spend.Held.class, nodeB.reserve(chain, "big", 10 * CENTS)); // still in flight

            assertEquals(List.of(new Ledger.UsageLine("alice", 3, 20 * CENTS, 10 * CENTS, 150, 30)), nodeA.usage(Ledger.By.KEY, Budget.Period.DAILY));
            assertEquals(List.of(new Ledger.UsageLine("infra", 3, 20 * CENTS, 10 * CENTS, 150, 30)), nodeA.usage(Ledger.By.TEAM, Budget.Period.MONTHLY));
            assertEquals(List.of(new Ledger.UsageLine("acme", 3, 20 * CENTS, 10 * CENTS, 150, 30)), nodeB.usage(Ledger.By.CUSTOMER, Budget.Period.TOTAL));
            assertEquals(List.of(new Ledger.UsageLine("small", 2, 20 * CENTS, 0, 150, 30),
                    new Ledger.UsageLine(SharedUsage.UNANSWERED, 1, 0, 0, 0, 0)), nodeA.usage(Ledger.By.MODEL, Budget.Period.WEEKLY));
            // Each node's ledger alone knows only its own.
            assertEquals(1, nodeA.ledger().usage(Ledger.By.KEY, DAY).getFirst().requests());
        }
    }

    @Test
    void aReplayedSettlementCountsOnce(@TempDir Path state) throws Exception {
        KeyChain chain = SpendTest.chain();
        RedisBudgets shared = new RedisBudgets(redis.store(), "node-a", "t-" + UUID.randomUUID() + ":");
        Reservation r = reservation(1, DAY, "alice", "small", 30 * CENTS);
        assertTrue(shared.reserve(chain, "small", 30 * CENTS, DAY, r).isEmpty());
        assertTrue(shared.book(r, charge(25 * CENTS, 40, 4)));
        assertFalse(shared.book(r, charge(25 * CENTS, 40, 4)), "the marker says it is booked");

        try (SqliteLedger ledger = SqliteLedger.open(state, false)) {
            Reservation owed = reservation(ledger.nextId(), DAY, "alice", "small", 10 * CENTS);
            assertTrue(shared.reserve(chain, "small", 10 * CENTS, DAY, owed).isEmpty());
            ledger.reserved(owed);
            ledger.settled(owed, charge(4 * CENTS, 7, 3), true); // Redis missed it: kept owed, tokens and all
            assertEquals(List.of(new Ledger.Owed(owed, charge(4 * CENTS, 7, 3))), ledger.owed(10));
            shared.open(ledger, DAY); // replays on its own thread too
            shared.replay();
            shared.replay();
            assertEquals(List.of(), ledger.owed(10));
            assertEquals(List.of(new Ledger.UsageLine("alice", 2, 29 * CENTS, 0, 47, 7)),
                    shared.usage(ledger, Ledger.By.KEY, Budget.Period.DAILY, DAY));
            shared.close();
        }
    }

    @Test
    void aPeriodCountsFromItsFirstDay() {
        RedisBudgets shared = new RedisBudgets(redis.store(), "node-a", "t-" + UUID.randomUUID() + ":");
        long[] days = {DAY - 30, DAY - 5, DAY - 1, DAY}; // October 28, then November 22 (a Sunday), 26 and 27
        for (int i = 0; i < days.length; i++) {
            assertTrue(shared.book(reservation(i + 1, days[i], "alice", "small", CENTS), charge(CENTS, 10, 1)));
        }
        assertEquals(1, requests(shared, Budget.Period.DAILY));
        assertEquals(2, requests(shared, Budget.Period.WEEKLY));
        assertEquals(3, requests(shared, Budget.Period.MONTHLY));
        assertEquals(4, requests(shared, Budget.Period.TOTAL));
        assertEquals(0, shared.usage(null, Ledger.By.KEY, Budget.Period.DAILY, DAY + 1).size(), "a new day starts empty");
    }

    private static long requests(RedisBudgets shared, Budget.Period period) {
        List<Ledger.UsageLine> lines = shared.usage(null, Ledger.By.KEY, period, DAY);
        assertEquals(1, lines.size(), lines.toString());
        assertEquals(lines.getFirst().requests() * CENTS, lines.getFirst().spentNanos());
        return lines.getFirst().requests();
    }

    @Test
    void anUnreachableRedisIsSaidNotReportedAsEmpty() {
        try (SharedStore nowhere = SharedStore.of("redis://127.0.0.1:1")) {
            RedisBudgets shared = new RedisBudgets(nowhere, "node-a", "t:");
            assertThrows(StoreUnreachable.class, () -> shared.usage(null, Ledger.By.TEAM, Budget.Period.MONTHLY, DAY));
        }
    }
}
