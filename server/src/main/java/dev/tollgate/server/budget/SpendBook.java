package dev.tollgate.server.budget;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Spend per account (a key, team or customer, overall and per model) in each current period, with
 * the reservations in flight counted in. Reserving checks and holds on the whole chain under one
 * lock, so concurrent requests cannot together pass a budget that each alone would fit: overshoot
 * is bounded by estimate error, never by concurrency. Accounts are keyed by ids, not policy objects,
 * so spend survives policy swaps; a period that has ended starts again from zero on first use.
 */
public final class SpendBook implements Budgets {

    /** Spend and reservations in flight in each period, by {@link Budget.Period#ordinal()}. */
    static final class Account {
        final long[] start = new long[Periods.ALL.length];
        final long[] spent = new long[Periods.ALL.length];
        final long[] inFlight = new long[Periods.ALL.length];

        Account(long day) {
            for (Budget.Period p : Periods.ALL) {
                start[p.ordinal()] = Periods.start(p, day);
            }
        }

        void roll(long day) {
            for (Budget.Period p : Periods.ALL) {
                long s = Periods.start(p, day);
                if (s != start[p.ordinal()]) {
                    start[p.ordinal()] = s;
                    spent[p.ordinal()] = 0;
                    inFlight[p.ordinal()] = 0;
                }
            }
        }
    }

    private final Map<AccountId, Account> accounts = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private long lastDay = Long.MIN_VALUE;

    @Override
    public void open(Ledger ledger, long today) {
        load(ledger.recover(false), today);
    }

    /** Adds what the ledger holds (charged amounts per account and day) at start. */
    void load(List<Ledger.DailySpend> days, long today) {
        lock.lock();
        try {
            for (Ledger.DailySpend d : days) {
                for (AccountId id : Budgets.accountsOf(d.keyId(), d.teamId(), d.customerId(), d.model())) {
                    Account a = accounts.computeIfAbsent(id, k -> new Account(today));
                    for (Budget.Period p : Periods.ALL) {
                        if (d.day() >= a.start[p.ordinal()]) {
                            a.spent[p.ordinal()] += d.nanos();
                        }
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<BudgetRefusal> reserve(KeyChain chain, String model, long nanos, long day, Reservation reservation) {
        AccountId[] ids = Budgets.accountsOf(chain.key().id(), chain.team().id(), chain.customer().id(), model);
        lock.lock();
        try {
            if (day != lastDay) {
                accounts.values().forEach(a -> a.roll(day));
                lastDay = day;
            }
            for (Principal level : chain.levels()) {
                for (Budget b : level.governance().budgets()) {
                    if (!b.period().calendar() || b.model().isPresent() && !b.model().get().equals(model)) {
                        continue;
                    }
                    Level l = Level.of(level);
                    Account a = account(new AccountId(l, level.id(), b.model().orElse("")), day);
                    int p = b.period().ordinal();
                    long limit = Money.nanos(b.usd());
                    long used = a.spent[p] + a.inFlight[p];
                    if (used + nanos > limit || (nanos == 0 && used >= limit)) {
                        return Optional.of(new BudgetRefusal(l, level.id(), b, a.spent[p], a.inFlight[p], nanos,
                                Periods.next(b.period(), day)));
                    }
                }
            }
            for (AccountId id : ids) {
                Account a = account(id, day);
                for (int p = 0; p < Periods.ALL.length; p++) {
                    a.inFlight[p] += nanos;
                }
            }
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** An ended period is left alone. */
    @Override
    public boolean settle(Reservation r, Charge charge) {
        long costNanos = charge.nanos();
        AccountId[] ids = Budgets.accountsOf(r.keyId(), r.teamId(), r.customerId(), r.model());
        lock.lock();
        try {
            for (AccountId id : ids) {
                Account a = account(id, lastDay == Long.MIN_VALUE ? r.day() : Math.max(lastDay, r.day()));
                for (Budget.Period period : Periods.ALL) {
                    int p = period.ordinal();
                    if (a.start[p] == Periods.start(period, r.day())) {
                        a.inFlight[p] -= r.nanos();
                        a.spent[p] += costNanos;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        return true;
    }

    /** This node's alone: the ledger has it. */
    @Override
    public List<Ledger.UsageLine> usage(Ledger ledger, Ledger.By by, Budget.Period period, long today) {
        return ledger.usage(by, Periods.start(period, today));
    }

    @Override
    public Balance balance(AccountId id, Budget.Period period, long day) {
        lock.lock();
        try {
            Account a = accounts.get(id);
            if (a == null || !period.calendar()) {
                return new Balance(0, 0);
            }
            if (a.start[period.ordinal()] != Periods.start(period, day)) {
                return new Balance(0, 0);
            }
            return new Balance(a.spent[period.ordinal()], a.inFlight[period.ordinal()]);
        } finally {
            lock.unlock();
        }
    }

    private Account account(AccountId id, long day) {
        Account a = accounts.get(id);
        if (a == null) {
            a = new Account(day);
            accounts.put(id, a);
        }
        return a;
    }
}
