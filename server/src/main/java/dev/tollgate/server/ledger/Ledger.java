package dev.tollgate.server.ledger;

import dev.tollgate.server.budget.RedisBudgets;
import dev.tollgate.server.budget.Spend;
import java.util.List;

/**
 * The durable record of this node's spend: every reservation and what it settled at, in a SQLite
 * file ({@link SqliteLedger}). When several nodes decide budgets in Redis ({@link RedisBudgets}) it
 * is each node's journal, keeping what Redis could not take as owed until it is replayed.
 */
public interface Ledger extends AutoCloseable {

    /** Charged spend of one account chain, model and UTC day: what the book is rebuilt from at start. */
    record DailySpend(String keyId, String teamId, String customerId, String model, long day, long nanos) {
    }

    /** One line of a usage report. */
    record UsageLine(String name, long requests, long spentNanos, long inFlightNanos, long inputTokens, long outputTokens) {

        UsageLine plus(UsageLine o) {
            return new UsageLine(name, requests + o.requests, spentNanos + o.spentNanos, inFlightNanos + o.inFlightNanos,
                    inputTokens + o.inputTokens, outputTokens + o.outputTokens);
        }
    }

    /** A settled cost not yet booked in the shared store (it was unreachable), to be replayed. */
    record Owed(Reservation reservation, Charge charge) {
    }

    /** What a usage report groups by. */
    enum By {
        KEY("key_id"), TEAM("team_id"), CUSTOMER("customer_id"), MODEL("model");

        final String column;

        By(String column) {
            this.column = column;
        }
    }

    /** A new id for a reservation, unique in this ledger. */
    long nextId();

    /**
     * Charges every reservation a crash left unsettled at its reserved amount, then returns the
     * charged spend per account chain, model and day.
     *
     * @param owe also mark those charges {@link #owed owed} to the shared store, which still holds them
     */
    List<DailySpend> recover(boolean owe);

    /** Records a reservation; returns at once (it is written with the next settle or within 25 ms). */
    void reserved(Reservation reservation);

    /**
     * Records the real cost and returns only once it is durable.
     *
     * @param owed the shared store could not book it: keep it for {@link #owed}
     */
    void settled(Reservation reservation, Charge charge, boolean owed);

    /** Up to {@code max} settled costs still owed to the shared store, oldest first. */
    List<Owed> owed(int max);

    /** The shared store has booked these reservations' costs. */
    void paid(List<Long> reservationIds);

    /** Spend from {@code fromDay} (UTC epoch day, inclusive) on, grouped. */
    List<UsageLine> usage(By by, long fromDay);

    @Override
    void close();
}
