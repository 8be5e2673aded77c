package dev.tollgate.server.budget;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.ledger.Charge;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.Reservation;
import dev.tollgate.server.shared.LuaScript;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import io.lettuce.core.ScriptOutputType;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Budgets in a Redis shared by several gateway nodes. Reserving is one Lua script that checks every
 * budget of the chain and holds the estimate on every account, atomically across nodes; settling
 * another that replaces the hold by the cost in the periods the reservation was made in. Each
 * account period is a hash whose key carries the period's first day, so a new period counts from
 * zero, and which expires a day or two after the period ends.
 *
 * <p>This node's ledger stays its journal. A cost Redis could not take is kept owed there and
 * replayed every second until Redis takes it; a per-reservation marker (held, then settled) makes a
 * replay book nothing twice. At start, this node's reservations never settled are charged at their
 * reserved amount the same way, which releases their holds. Settling also counts the request in
 * usage counters ({@link SharedUsage}), so a usage report read on any node covers every node.
 */
public final class RedisBudgets implements Budgets {

    private static final Logger LOG = Logger.getLogger(RedisBudgets.class.getName());
    private static final LuaScript RESERVE = LuaScript.load(RedisBudgets.class, "reserve.lua");
    private static final LuaScript SETTLE = LuaScript.load(RedisBudgets.class, "settle.lua");
    /** How long a reservation's marker lives: a replay later than this could count a settlement twice. */
    static final long MARKER_TTL_SECONDS = 7 * 86_400L;
    private static final int REPLAY_BATCH = 500;

    private final SharedStore store;
    private final String node;
    private final String prefix;
    private final SharedUsage usage;
    private volatile Ledger ledger;
    private ScheduledExecutorService replayer;

    /**
     * @param node   this node's name, unique among the nodes (its reservation ids are only unique in its ledger)
     * @param prefix the start of every key (tests keep runs apart with it)
     */
    public RedisBudgets(SharedStore store, String node, String prefix) {
        this.store = store;
        this.node = node;
        this.prefix = prefix;
        this.usage = new SharedUsage(prefix);
    }

    public RedisBudgets(SharedStore store, String node) {
        this(store, node, "tollgate:");
    }

    /** Marks this node's unsettled reservations owed at their reserved amount and starts replaying what is owed. */
    @Override
    public synchronized void open(Ledger ledger, long today) {
        ledger.recover(true);
        this.ledger = ledger;
        replayer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("tollgate-spend-replay").daemon(true).factory());
        replayer.scheduleWithFixedDelay(this::replayQuietly, 0, 1, TimeUnit.SECONDS);
    }

    @Override
    public Optional<BudgetRefusal> reserve(KeyChain chain, String model, long nanos, long day, Reservation reservation) {
        record Check(Level level, Principal owner, Budget budget) {
        }
        List<Check> checks = new ArrayList<>();
        List<String> args = new ArrayList<>();
        args.add(Long.toString(nanos));
        args.add(Long.toString(MARKER_TTL_SECONDS));
        args.add("");
        for (Principal p : chain.levels()) {
            for (Budget b : p.governance().budgets()) {
                if (!b.period().calendar() || b.model().isPresent() && !b.model().get().equals(model)) {
                    continue; // a session budget is held by session.Sessions
                }
                Level level = Level.of(p);
                // Its account's place in Budgets.accountsOf: key, team, customer, then the same for the model.
                int account = level.ordinal() + (b.model().isPresent() ? Level.values().length : 0);
                checks.add(new Check(level, p, b));
                args.add(Integer.toString(account * Periods.ALL.length + b.period().ordinal() + 1));
                args.add(Long.toString(Money.nanos(b.usd())));
            }
        }
        args.set(2, Integer.toString(checks.size()));
        args.addAll(expiries(day));
        List<Long> out = RESERVE.run(store, ScriptOutputType.MULTI, keys(reservation), args.toArray(String[]::new));
        int refused = out.get(0).intValue();
        if (refused == 0) {
            return Optional.empty();
        }
        Check c = checks.get(refused - 1);
        return Optional.of(new BudgetRefusal(c.level(), c.owner().id(), c.budget(), out.get(1), out.get(2), nanos,
                Periods.next(c.budget().period(), day)));
    }

    @Override
    public boolean settle(Reservation reservation, Charge charge) {
        try {
            book(reservation, charge);
            return true;
        } catch (StoreUnreachable e) {
            LOG.warning("spend of reservation " + reservation.id() + " kept owed in the ledger, to be replayed: " + e.getMessage());
            return false;
        }
    }

    /** @return false when the marker says it was booked already */
    boolean book(Reservation r, Charge charge) {
        String[] accounts = keys(r);
        String[] usageKeys = usage.keys(r.day());
        String[] keys = Arrays.copyOf(accounts, accounts.length + usageKeys.length);
        System.arraycopy(usageKeys, 0, keys, accounts.length, usageKeys.length);
        List<String> args = new ArrayList<>();
        args.add(Long.toString(-r.nanos()));
        args.add(Long.toString(charge.nanos()));
        args.add(Long.toString(MARKER_TTL_SECONDS));
        args.add(Integer.toString(accounts.length - 1));
        args.add(Long.toString(charge.usage().inputTokens()));
        args.add(Long.toString(charge.usage().outputTokens()));
        args.add(Long.toString(SharedUsage.dayTtlSeconds()));
        args.addAll(SharedUsage.names(r, charge));
        args.addAll(expiries(r.day()));
        Long booked = SETTLE.run(store, ScriptOutputType.INTEGER, keys, args.toArray(String[]::new));
        return booked == 1;
    }

    @Override
    public Balance balance(AccountId id, Budget.Period period, long day) {
        List<String> v = store.call(redis -> redis.hmget(key(id, period, day), "spent", "held")).stream()
                .map(kv -> kv.getValueOrElse("0")).toList();
        return new Balance(Long.parseLong(v.get(0)), Long.parseLong(v.get(1)));
    }

    /**
     * Every node's usage, from the counters settlements add to. In flight: what the period's budget
     * hash of each key, team or customer holds; 0 by model (no account holds per model alone).
     */
    @Override
    public List<Ledger.UsageLine> usage(Ledger ledger, Ledger.By by, Budget.Period period, long today) {
        return store.call(redis -> {
            List<Ledger.UsageLine> lines = usage.read(redis, by, Periods.start(period, today), today);
            if (by == Ledger.By.MODEL) {
                return lines;
            }
            Level level = Level.valueOf(by.name());
            return lines.stream().map(l -> {
                String held = redis.hget(key(new AccountId(level, l.name(), ""), period, today), "held");
                return new Ledger.UsageLine(l.name(), l.requests(), l.spentNanos(), held == null ? 0 : Long.parseLong(held),
                        l.inputTokens(), l.outputTokens());
            }).toList();
        });
    }

    /**
     * Books in Redis what the ledger keeps owed, oldest first, until nothing is left or Redis fails.
     *
     * @return how many settlements were replayed (those Redis had booked already included)
     */
    public int replay() {
        Ledger l = ledger;
        if (l == null) {
            return 0;
        }
        int replayed = 0;
        while (true) {
            List<Ledger.Owed> owed = l.owed(REPLAY_BATCH);
            if (owed.isEmpty()) {
                return replayed;
            }
            List<Long> paid = new ArrayList<>(owed.size());
            try {
                for (Ledger.Owed o : owed) {
                    book(o.reservation(), o.charge());
                    paid.add(o.reservation().id());
                }
            } finally {
                l.paid(paid);
            }
            replayed += paid.size();
            if (owed.size() < REPLAY_BATCH) {
                return replayed;
            }
        }
    }

    private void replayQuietly() {
        try {
            int n = replay();
            if (n > 0) {
                LOG.info(n + " settlements kept in the ledger while Redis was unreachable are now booked in Redis");
            }
        } catch (StoreUnreachable e) {
            LOG.fine(() -> "replay waits for Redis: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(java.util.logging.Level.WARNING, "replaying owed settlements failed; retrying in a second", e);
        }
    }

    /** The hashes of every account and period a reservation counts in, then its marker. */
    private String[] keys(Reservation r) {
        AccountId[] accounts = Budgets.accountsOf(r.keyId(), r.teamId(), r.customerId(), r.model());
        String[] keys = new String[accounts.length * Periods.ALL.length + 1];
        int i = 0;
        for (AccountId a : accounts) {
            for (Budget.Period p : Periods.ALL) {
                keys[i++] = key(a, p, r.day());
            }
        }
        keys[i] = prefix + "r:" + node + ":" + r.id();
        return keys;
    }

    /**
     * Time to live in seconds of each account's period hash, in the order of {@link #keys}: counted from
     * the start of {@code day}, so the hash goes one to two days after its period ends. Relative, not
     * a Unix time: Redis's clock then never judges a key dead that the node's clock still counts in.
     */
    private static List<String> expiries(long day) {
        List<String> one = new ArrayList<>(Periods.ALL.length);
        for (Budget.Period p : Periods.ALL) {
            LocalDate next = Periods.next(p, day);
            one.add(next == null ? "0" : Long.toString((next.toEpochDay() + 1 - day) * 86_400L));
        }
        int accounts = 2 * Level.values().length;
        List<String> all = new ArrayList<>(one.size() * accounts);
        for (int a = 0; a < accounts; a++) {
            all.addAll(one);
        }
        return all;
    }

    String key(AccountId id, Budget.Period period, long day) {
        long start = Periods.start(period, day);
        return prefix + "b:" + id.level().id() + ":" + id.owner() + ":" + id.model() + ":" + period.id() + ":"
                + (start == Long.MIN_VALUE ? "all" : LocalDate.ofEpochDay(start).toString());
    }

    @Override
    public synchronized void close() {
        if (replayer != null) {
            replayer.shutdownNow();
        }
    }
}
