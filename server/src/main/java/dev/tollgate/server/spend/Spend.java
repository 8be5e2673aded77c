package dev.tollgate.server.spend;

import dev.tollgate.policy.Pricing;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Budgets, reserve then settle: the in-memory {@link SpendBook} decides, the {@link Ledger} keeps.
 * The ledger is opened on first use (a policy without keys never needs it) and the book rebuilt from
 * it then, unsettled reservations charged at their reserved amount.
 */
public final class Spend implements AutoCloseable {

    private final SpendBook book = new SpendBook();
    private final OutputHistory history = new OutputHistory();
    private final Estimator estimator = new Estimator(history);
    private final Supplier<Ledger> opener;
    private final Clock clock;
    private volatile Ledger ledger;

    public Spend(Supplier<Ledger> opener, Clock clock) {
        this.opener = opener;
        this.clock = clock;
    }

    /** Opens the ledger now and rebuilds the book from it (at start, when the policy has keys). */
    public Ledger ledger() {
        Ledger l = ledger;
        if (l == null) {
            synchronized (this) {
                l = ledger;
                if (l == null) {
                    l = opener.get();
                    List<Ledger.DailySpend> days = l.recover();
                    book.load(days, Periods.day(clock.millis()));
                    ledger = l;
                }
            }
        }
        return l;
    }

    public Clock clock() {
        return clock;
    }

    public Estimate estimate(String keyId, String model, Api api, JsonBody body, Optional<Pricing> pricing) {
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
        Optional<BudgetRefusal> refusal = book.reserve(chain, model, nanos, day, r);
        if (refusal.isPresent()) {
            return new Refused(refusal.get());
        }
        l.reserved(r);
        return new Held(r);
    }

    /** Books the real cost and returns once the ledger has it durably. */
    public void settle(Reservation r, Charge charge) {
        book.settle(r, charge.nanos());
        if (!charge.estimated() && charge.usage().outputTokens() > 0) {
            history.observe(r.keyId(), r.model(), charge.usage().outputTokens());
        }
        ledger().settled(r, charge);
    }

    public SpendBook.Balance balance(SpendBook.AccountId account, dev.tollgate.policy.Budget.Period period) {
        ledger();
        return book.balance(account, period, Periods.day(clock.millis()));
    }

    @Override
    public void close() {
        Ledger l = ledger;
        if (l != null) {
            l.close();
        }
    }
}
