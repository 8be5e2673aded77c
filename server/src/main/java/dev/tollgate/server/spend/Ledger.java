package dev.tollgate.server.spend;

import java.util.List;

/**
 * The durable record of spend: every reservation and what it settled at. The embedded default is a
 * SQLite file ({@link SqliteLedger}); a shared store (Redis) can implement the same for several nodes.
 */
public interface Ledger extends AutoCloseable {

    /** Charged spend of one account chain, model and UTC day: what the book is rebuilt from at start. */
    record DailySpend(String keyId, String teamId, String customerId, String model, long day, long nanos) {
    }

    /** One line of a usage report. */
    record UsageLine(String name, long requests, long spentNanos, long inFlightNanos, long inputTokens, long outputTokens) {
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
     */
    List<DailySpend> recover();

    /** Records a reservation; returns at once (it is written with the next group commit). */
    void reserved(Reservation reservation);

    /** Records the real cost and returns only once it is durable. */
    void settled(Reservation reservation, Charge charge);

    /** Spend from {@code fromDay} (UTC epoch day, inclusive) on, grouped. */
    List<UsageLine> usage(By by, long fromDay);

    @Override
    void close();
}
