package dev.tollgate.server.budget;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import dev.tollgate.server.shared.StoreUnreachable;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Budgets, reserve then settle: the {@link Budgets} decide (in memory, or in Redis shared by several
 * nodes), this node's {@link Ledger} keeps. The ledger is opened on first use (a policy without keys
 * never needs it) and the budgets take over from it then, unsettled reservations charged at their
 * reserved amount.
 */
public final class Spend implements AutoCloseable {

    private final Budgets book;
    private final OutputHistory history = new OutputHistory();
    private final InputRatio inputRatio = new InputRatio();
    private final Estimator estimator = new Estimator(history, inputRatio);
    private final Supplier<Ledger> opener;
    private final Clock clock;
    private volatile Ledger ledger;

    /** One node: budgets in memory. */
    public Spend(Supplier<Ledger> opener, Clock clock) {
        this(opener, clock, new SpendBook());
    }

    public Spend(Supplier<Ledger> opener, Clock clock, Budgets budgets) {
        this.opener = opener;
        this.clock = clock;
        this.book = budgets;
    }

    /** Opens the ledger now and rebuilds the book from it (at start, when the policy has keys). */
    public Ledger ledger() {
        Ledger l = ledger;
        if (l == null) {
            synchronized (this) {
                l = ledger;
                if (l == null) {
                    l = opener.get();
                    book.open(l, Periods.day(clock.millis()));
                    ledger = l;
                }
            }
        }
        return l;
    }

    public Clock clock() {
        return clock;
    }

    /** @throws dev.tollgate.providers.json.InvalidJsonException when a field bounding the output is absurd */
    public Estimate estimate(String keyId, String model, Api api, JsonBody body, Optional<Pricing> pricing)
            throws dev.tollgate.providers.json.InvalidJsonException {
        return estimator.estimate(keyId, model, api, body, pricing);
    }

    /** A reservation held on the whole chain, or the budget that refuses it. */
    public sealed interface Hold {
    }

    public record Held(Reservation reservation) implements Hold {
    }

    public record Refused(BudgetRefusal refusal) implements Hold {
    }

    public Hold reserve(KeyChain chain, String model, long nanos) {
        Ledger l = ledger();
        long now = clock.millis();
        long day = Periods.day(now);
        Reservation r = new Reservation(l.nextId(), now, day, chain.key().id(), chain.team().id(), chain.customer().id(), model, nanos);
        Optional<BudgetRefusal> refusal;
        try {
            refusal = book.reserve(chain, model, nanos, day, r);
        } catch (StoreUnreachable e) {
            if (e.maybeApplied()) {
                // The hold may have been made before the answer was lost: owe a zero cost, whose replay releases it.
                l.reserved(r);
                l.settled(r, new Charge(0, Usage.NONE, false), true);
            }
            throw e;
        }
        if (refusal.isPresent()) {
            return new Refused(refusal.get());
        }
        l.reserved(r);
        return new Held(r);
    }

    /** Books the real cost and returns once the ledger has it durably. */
    public void settle(Reservation r, Charge charge) {
        settle(r, charge, 1);
    }

    /** @param choices how many answers the request asked for (the output history learns one answer's length) */
    public void settle(Reservation r, Charge charge, int choices) {
        settle(r, charge, choices, 0);
    }

    /**
     * @param choices      how many answers the request asked for (the output history learns one answer's length)
     * @param countedInput the gateway's count of the request's input, which the provider's reported input teaches
     *                     the model's {@link InputRatio}; 0 when unknown
     */
    public void settle(Reservation r, Charge charge, int choices, long countedInput) {
        boolean booked = book.settle(r, charge);
        if (!charge.estimated() && charge.usage().outputTokens() > 0) {
            history.observe(r.keyId(), r.model(), charge.usage().outputTokens(), choices);
        }
        if (!charge.estimated()) {
            inputRatio.observe(r.model(), countedInput, charge.usage().inputTokens());
        }
        ledger().settled(r, charge, !booked);
    }

    public Budgets.Balance balance(Budgets.AccountId account, dev.tollgate.policy.Budget.Period period) {
        ledger();
        return book.balance(account, period, Periods.day(clock.millis()));
    }

    /** @throws StoreUnreachable when budgets are shared and the store does not answer */
    public List<Ledger.UsageLine> usage(Ledger.By by, dev.tollgate.policy.Budget.Period period) {
        return book.usage(ledger(), by, period, Periods.day(clock.millis()));
    }

    @Override
    public void close() {
        Ledger l = ledger;
        book.close();
        if (l != null) {
            l.close();
        }
    }
}
