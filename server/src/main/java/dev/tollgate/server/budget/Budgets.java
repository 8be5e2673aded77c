package dev.tollgate.server.budget;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import java.util.List;
import java.util.Optional;

/**
 * The budget decision: hold a request's estimate on every account of its chain if no budget along it
 * would go over, then replace the hold by the real cost. {@link SpendBook} decides in memory for one
 * node; {@link RedisBudgets} decides in a Redis shared by several.
 */
public interface Budgets extends AutoCloseable {

    /** One account: {@code model} is empty for the account of all models. */
    record AccountId(Level level, String owner, String model) {
    }

    /** A snapshot of one account's period, for usage reports. */
    record Balance(long spentNanos, long inFlightNanos) {
    }

    /** Once, when the ledger opens: take over what it holds, unsettled reservations charged at their reserved amount. */
    void open(Ledger ledger, long today);

    /**
     * Holds {@code nanos} on every account of the chain if no budget along it would go over.
     *
     * @return the refusal of the first budget that would go over, or empty when held
     * @throws dev.tollgate.server.shared.StoreUnreachable when a shared store does not answer
     */
    Optional<BudgetRefusal> reserve(KeyChain chain, String model, long nanos, long day, Reservation reservation);

    /**
     * Replaces a reservation by the real cost, in the periods it was made in.
     *
     * @return false when the cost could not be booked now: the ledger keeps it owed, to be replayed
     */
    boolean settle(Reservation reservation, Charge charge);

    /**
     * A usage report of {@code period} up to {@code today}: of this node's ledger, or of every node
     * when they share a store.
     *
     * @throws dev.tollgate.server.shared.StoreUnreachable when a shared store does not answer
     */
    List<Ledger.UsageLine> usage(Ledger ledger, Ledger.By by, Budget.Period period, long today);

    /** @throws dev.tollgate.server.shared.StoreUnreachable when a shared store does not answer */
    Balance balance(AccountId id, Budget.Period period, long day);

    @Override
    default void close() {
    }

    /** The accounts a request counts in: key, team and customer, overall and for its model. */
    static AccountId[] accountsOf(String key, String team, String customer, String model) {
        return new AccountId[] {
                new AccountId(Level.KEY, key, ""), new AccountId(Level.TEAM, team, ""), new AccountId(Level.CUSTOMER, customer, ""),
                new AccountId(Level.KEY, key, model), new AccountId(Level.TEAM, team, model), new AccountId(Level.CUSTOMER, customer, model)};
    }
}
