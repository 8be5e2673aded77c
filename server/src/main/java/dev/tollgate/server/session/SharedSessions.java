package dev.tollgate.server.session;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.shared.LuaScript;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Agent sessions in a Redis shared by several gateway nodes: each session's spend and holds against its
 * {@code period: session} budgets, the runaway brake's counts and pause, and its pacing (downgrade)
 * decisions, each decided by one Lua script, so every node's requests count toward the same session and
 * two nodes cannot together pass its cap. {@link Sessions} keeps the API and the words; this class the
 * storage.
 *
 * <p>Keys (KEY/ID is the key's id, a slash, the session id: session ids never hold a slash):
 * {@code s:KEY/ID} the session's hash, {@code sr:} and {@code ss:} its requests and spend of the last
 * minute, {@code sl:} its pacing lanes, {@code sp} the paused sessions. Bounded: every key expires once
 * the session is idle for {@link Sessions#DEFAULT_IDLE} (a paused one once its pause has ended too).
 *
 * <p>Redis unreachable: admitting throws {@link StoreUnreachable} (the gate answers 503, failing closed);
 * a settlement Redis could not take is kept in memory and booked before the next request of any session
 * (at most {@link #MAX_OWED}; a node killed meanwhile loses them, and its holds lapse with the session's idle
 * time to live).
 */
public final class SharedSessions {

    private static final Logger LOG = Logger.getLogger(SharedSessions.class.getName());
    private static final LuaScript ADMIT = LuaScript.load(SharedSessions.class, "admit.lua");
    private static final LuaScript SETTLE = LuaScript.load(SharedSessions.class, "settle.lua");
    private static final LuaScript PACE = LuaScript.load(SharedSessions.class, "pace.lua");
    private static final LuaScript LANE = LuaScript.load(SharedSessions.class, "lane.lua");
    private static final LuaScript RESUME = LuaScript.load(SharedSessions.class, "resume.lua");
    static final int MAX_OWED = 100_000;
    private static final int REPLAY_BATCH = 100;
    private static final int MAX_PAUSED_LISTED = 1000;

    private final SharedStore store;
    private final String prefix;
    private final long idleMillis;
    private final ConcurrentLinkedQueue<String[]> owed = new ConcurrentLinkedQueue<>();
    private final AtomicInteger owedCount = new AtomicInteger();

    /** @param prefix the start of every key (tests keep runs apart with it) */
    public SharedSessions(SharedStore store, String prefix, Duration idle) {
        this.store = store;
        this.prefix = prefix;
        this.idleMillis = idle.toMillis();
    }

    public SharedSessions(SharedStore store) {
        this(store, "tollgate:", Sessions.DEFAULT_IDLE);
    }

    static String member(Sessions.Key key) {
        return key.keyId() + "/" + key.id();
    }

    static Sessions.Key key(String member) {
        int slash = member.lastIndexOf('/');
        return new Sessions.Key(member.substring(0, slash), member.substring(slash + 1));
    }

    private String[] keys(Sessions.Key key) {
        String m = member(key);
        return new String[] {prefix + "s:" + m, prefix + "sr:" + m, prefix + "ss:" + m, prefix + "sp"};
    }

    private static String nonce() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    Sessions.Decision admit(Sessions sessions, KeyChain chain, Sessions.Key key, String model, long nanos, Optional<ToolCall> call,
                            long now) {
        replayOwed();
        Sessions.Rules rules = Sessions.Rules.of(chain);
        record Check(Principal level, Budget budget) {
        }
        List<Check> checks = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of(Long.toString(now), Long.toString(nanos), model, Long.toString(idleMillis),
                Integer.toString(rules.repeated()), Long.toString(rules.rpm()), Long.toString(rules.usdPerMinute()),
                Long.toString(rules.pause().toMillis()), call.map(ToolCall::signature).orElse(""),
                Integer.toString(call.map(ToolCall::position).orElse(-1)), call.map(ToolCall::name).orElse(""), member(key), nonce(), ""));
        for (Principal level : chain.levels()) {
            for (Budget b : level.governance().budgets()) {
                if (b.period().calendar() || b.model().isPresent() && !b.model().get().equals(model)) {
                    continue;
                }
                checks.add(new Check(level, b));
                args.add(b.model().isPresent() ? "1" : "0");
                args.add(Long.toString(dev.tollgate.server.budget.Money.nanos(b.usd())));
            }
        }
        args.set(13, Integer.toString(checks.size()));
        // The repeat streak's field suffix: each subagent has its own (agent ids are checked: short, no spaces).
        args.add(call.map(ToolCall::agent).map(a -> ":" + a).orElse(""));
        List<Object> out = ADMIT.run(store, ScriptOutputType.MULTI, keys(key), args.toArray(String[]::new));
        int verdict = ((Long) out.get(0)).intValue();
        switch (verdict) {
            case 0 -> {
                List<String> warnings = new ArrayList<>(0);
                for (int i = 0; i < checks.size(); i++) {
                    // Held already; each budget was checked by the script: this only words the warnings.
                    Sessions.check(checks.get(i).level(), checks.get(i).budget(), key, Long.parseLong(text(out.get(i + 1))), nanos, warnings);
                }
                return new Sessions.Admitted(new Sessions.Hold(sessions, key, null, model, nanos), List.copyOf(warnings));
            }
            case 1, 2 -> {
                Sessions.Pause pause = pause(out.subList(1, 7));
                if (verdict == 2) {
                    sessions.tripped(new Sessions.Trip(key, pause));
                }
                return new Sessions.Refused(Sessions.paused(key, pause, now), pause.rule());
            }
            default -> {
                int i = ((Long) out.get(1)).intValue() - 1;
                long used = Long.parseLong(text(out.get(2)));
                return Sessions.check(checks.get(i).level(), checks.get(i).budget(), key, used, nanos, new ArrayList<>())
                        .orElseThrow(() -> new IllegalStateException("Redis refused a session budget the gateway finds room in"));
            }
        }
    }

    private static String text(Object o) {
        return o == null ? "" : o.toString();
    }

    /** A pause from its stored facts: {rule, tool, count, allow, since, until}. */
    private static Sessions.Pause pause(List<?> p) {
        String rule = text(p.get(0));
        String reason = Sessions.reason(rule, text(p.get(1)), Long.parseLong(text(p.get(2))), Long.parseLong(text(p.get(3))));
        return new Sessions.Pause(rule, reason, Instant.ofEpochMilli(Long.parseLong(text(p.get(4)))),
                Instant.ofEpochMilli(Long.parseLong(text(p.get(5)))));
    }

    /** Replaces a hold by its cost ({@code cost} -1: gives it back); kept owed when Redis does not answer. */
    void settle(Sessions.Key key, String model, long nanos, long cost, long now) {
        String[] k = keys(key);
        String[] entry = {k[0], k[2], Long.toString(-nanos), Long.toString(cost), model, Long.toString(now), nonce(), Long.toString(idleMillis)};
        try {
            book(entry);
        } catch (StoreUnreachable e) {
            if (refused(e)) {
                return;
            }
            owe(entry, e);
            return;
        }
        try {
            replayOwed();
        } catch (StoreUnreachable e) {
            LOG.fine(() -> "owed session settlements wait for Redis: " + e.getMessage());
        }
    }

    private void book(String[] e) {
        SETTLE.run(store, ScriptOutputType.INTEGER, new String[] {e[0], e[1]}, java.util.Arrays.copyOfRange(e, 2, e.length));
    }

    /** Redis answered with an error: a retry would fail the same way, so it is dropped (and logged as the bug it is). */
    private static boolean refused(StoreUnreachable e) {
        if (e.getCause() instanceof io.lettuce.core.RedisCommandExecutionException) {
            LOG.log(java.util.logging.Level.WARNING, "Redis refused a session settlement; it is not retried", e);
            return true;
        }
        return false;
    }

    private void owe(String[] entry, StoreUnreachable e) {
        if (owedCount.incrementAndGet() > MAX_OWED) {
            owedCount.decrementAndGet();
            LOG.warning("a session settlement is lost: Redis is unreachable and " + MAX_OWED + " are owed already (" + e.getMessage() + ")");
            return;
        }
        owed.add(entry);
        LOG.fine(() -> "session settlement kept owed until Redis answers: " + e.getMessage());
    }

    /**
     * Books the settlements Redis could not take, oldest first, until none is left, Redis fails again, or
     * {@link #REPLAY_BATCH} are booked (a request does not wait on all of a long outage's).
     */
    private void replayOwed() {
        String[] e;
        for (int n = 0; n < REPLAY_BATCH && (e = owed.peek()) != null; n++) {
            try {
                book(e);
            } catch (StoreUnreachable u) {
                if (!refused(u)) {
                    throw u;
                }
            }
            if (owed.remove(e)) {
                owedCount.decrementAndGet();
            }
        }
    }

    Optional<Sessions.Pacing> pace(Sessions.Key key, String model, Optional<String> compaction, boolean trigger,
                                   Function<Sessions.Spent, Optional<Sessions.Pacing>> crossed, long now, int maxLanes) {
        String m = member(key);
        String lanes = prefix + "sl:" + m;
        List<Object> out = PACE.run(store, ScriptOutputType.MULTI, new String[] {prefix + "s:" + m, lanes}, model, compaction.orElse(""),
                trigger ? "1" : "0", Long.toString(idleMillis));
        if (((Long) out.get(0)) == 0) {
            return decode(text(out.get(1)));
        }
        long total = 0;
        Map<String, Long> byModel = new HashMap<>();
        for (int i = 1; i + 1 < out.size(); i += 2) {
            String field = text(out.get(i));
            String value = text(out.get(i + 1));
            if (field.equals("spent") || field.equals("held")) {
                total += Long.parseLong(value);
            } else if (field.startsWith("s:") || field.startsWith("h:")) {
                byModel.merge(field.substring(2), Long.parseLong(value), Long::sum);
            }
        }
        Optional<Sessions.Pacing> decided = crossed.apply(new Sessions.Spent(total, byModel));
        String kept = LANE.run(store, ScriptOutputType.VALUE, new String[] {lanes}, model, encode(decided), Integer.toString(maxLanes),
                Long.toString(idleMillis));
        return decode(kept);
    }

    private static String encode(Optional<Sessions.Pacing> p) {
        return p.map(x -> x.from() + "\t" + x.to() + "\t" + x.why()).orElse("");
    }

    private static Optional<Sessions.Pacing> decode(String lane) {
        if (lane == null || lane.isEmpty()) {
            return Optional.empty();
        }
        String[] p = lane.split("\t", 3);
        return Optional.of(new Sessions.Pacing(p[0], p[1], p.length > 2 ? p[2] : ""));
    }

    List<Sessions.Key> resume(String id, String keyId, long now) {
        List<String> members;
        String paused = prefix + "sp";
        if (keyId != null) {
            members = List.of(keyId + "/" + id);
        } else {
            members = store.call(r -> r.zrange(paused, 0, -1)).stream().filter(x -> x.endsWith("/" + id)).toList();
        }
        List<Sessions.Key> resumed = new ArrayList<>();
        for (String member : members) {
            Sessions.Key key = key(member);
            Long was = RESUME.run(store, ScriptOutputType.INTEGER, keys(key), member);
            if (was == 1) {
                resumed.add(key);
            }
        }
        return resumed;
    }

    Optional<Sessions.View> view(Sessions.Key key, long now) {
        List<String> v = store.call(r -> r.hmget(prefix + "s:" + member(key), "spent", "held", "seen", "p_rule", "p_tool", "p_count", "p_allow",
                "p_since", "p_until")).stream().map(kv -> kv.getValueOrElse(null)).toList();
        if (v.get(2) == null) {
            return Optional.empty();
        }
        Sessions.Pause pause = v.get(8) != null && Long.parseLong(v.get(8)) > now ? pause(v.subList(3, 9)) : null;
        return Optional.of(new Sessions.View(key, parse(v.get(0)), parse(v.get(1)), Instant.ofEpochMilli(Long.parseLong(v.get(2))), pause));
    }

    private static long parse(String v) {
        return v == null ? 0 : Long.parseLong(v);
    }

    List<Sessions.View> paused(long now) {
        String paused = prefix + "sp";
        List<String> members = store.call(r -> {
            r.zremrangebyscore(paused, Range.create(Double.NEGATIVE_INFINITY, (double) now));
            return r.zrangebyscore(paused, Range.create((double) now, Double.POSITIVE_INFINITY),
                    io.lettuce.core.Limit.create(0, MAX_PAUSED_LISTED));
        });
        List<Sessions.View> out = new ArrayList<>();
        for (String m : members) {
            view(key(m), now).filter(v -> v.pause() != null).ifPresent(out::add);
        }
        return out;
    }
}
