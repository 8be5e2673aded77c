package dev.tollgate.server.session;

import dev.tollgate.policy.Brake;
import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.Principal;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.errors.GatewayError;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The live state of agent sessions on this node: each session's spend against its {@code period:
 * session} budgets (reserved, then settled, like any budget), and the runaway brake (the same tool
 * call again and again, too many requests or dollars a minute) that pauses a session until its pause
 * ends or an operator resumes it.
 *
 * <p>A session is its client's id under the key that sent it ({@link Key}): one key's requests never
 * join another key's session. Ids are client input, so the state is bounded: a session idle for
 * {@code idle} with nothing in flight is forgotten (its spend starts again from zero should the id come
 * back), and at most {@code max} sessions are kept, the longest idle forgotten first.
 *
 * <p>Each session is decided under its own lock: concurrent requests of one session cannot together
 * pass its cap. In Redis mode ({@link SharedSessions}) the same decisions are made by Lua scripts in
 * the shared Redis instead, so every node's requests count toward the same session.
 */
public final class Sessions {

    public static final Duration DEFAULT_IDLE = Duration.ofHours(1);
    public static final int DEFAULT_MAX = 100_000;
    /** Moments kept per session for the per-minute rules; more than any sane rule counts. */
    private static final int MAX_RECENT = 10_000;
    private static final long MINUTE = 60_000;

    /** A session: the client's id, scoped to the key that sent it. */
    public record Key(String keyId, String id) {
    }

    /** A session the brake paused: the rule that tripped, why in words, and until when. */
    public record Pause(String rule, String reason, Instant since, Instant until) {
    }

    /** The brake tripped on a session: for the audit trail. */
    public record Trip(Key key, Pause pause) {
    }

    /** One session as it stands now, for the admin API. */
    public record View(Key key, long spentNanos, long inFlightNanos, Instant lastSeen, Pause pause) {
    }

    /** The decision on one request of a session. */
    public sealed interface Decision {
    }

    /**
     * Held on the session; {@code warnings} name session budgets past their {@code warn_at_percent}.
     */
    public record Admitted(Hold hold, List<String> warnings) implements Decision {
    }

    /** @param rule the brake's rule that refused it, or null for a session budget */
    public record Refused(GatewayError error, String rule) implements Decision {
    }

    /**
     * A budget's downgrade applied to a session's requests for one model: {@code from} (the catalog
     * model asked for) goes to {@code to}; {@code why} names the budget, for the header and the log.
     */
    public record Pacing(String from, String to, String why) {
    }

    /** What a session has used or holds now, in all and by model: what its session budgets are measured on. */
    public record Spent(long total, Map<String, Long> byModel) {
        public long of(String model) {
            return byModel.getOrDefault(model, 0L);
        }
    }

    /** Models a session keeps a pacing decision for; more are decided afresh on each request (client input bounds no state). */
    private static final int MAX_LANES = 32;

    /** Subagents a session keeps apart for the repeat rule; more share one streak (client input bounds no state). */
    static final int MAX_STREAKS = 32;

    /** One agent's latest tool call and how many times in a row it was the same. */
    private static final class Streak {
        String lastSignature;
        int lastPosition = -1;
        int repeats;
    }

    private static final class State {
        long spent;
        long inFlight;
        final Map<String, long[]> byModel = new HashMap<>(2); // model -> {spent, inFlight}
        long lastSeen;
        /** The brake's repeat streak by agent ("" the main one); at most {@link #MAX_STREAKS}, the rest share one. */
        final Map<String, Streak> streaks = new HashMap<>(2);
        final ArrayDeque<long[]> recent = new ArrayDeque<>(); // {millis, settled nanos (0 for a request)}
        Pause pause;
        boolean forgotten;
        /** By model asked for: the pacing kept (null: stays on its model); a model absent has not been asked for yet. */
        final Map<String, Pacing> lanes = new HashMap<>(2);
        /** The previous request asked for a compaction; the last compaction item seen (a mark of its content). */
        boolean afterTrigger;
        String lastCompaction;
    }

    private final ConcurrentHashMap<Key, State> states = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration idle;
    private final int max;
    private volatile Consumer<Trip> onTrip = t -> { };
    private volatile long lastSweep;
    /** In Redis mode, where every decision is made; null on one node. */
    private final SharedSessions shared;

    public Sessions(Clock clock) {
        this(clock, DEFAULT_IDLE, DEFAULT_MAX);
    }

    public Sessions(Clock clock, Duration idle, int max) {
        this(clock, idle, max, null);
    }

    /** Several nodes: the sessions' state lives in the shared Redis. */
    public Sessions(Clock clock, SharedSessions shared) {
        this(clock, DEFAULT_IDLE, DEFAULT_MAX, shared);
    }

    private Sessions(Clock clock, Duration idle, int max, SharedSessions shared) {
        this.clock = clock;
        this.idle = idle;
        this.max = max;
        this.shared = shared;
    }

    /** Whether the state is shared by the nodes of a Redis (else this node's alone). */
    public boolean shared() {
        return shared != null;
    }

    /** Told of every trip (the audit trail). */
    public void onTrip(Consumer<Trip> listener) {
        this.onTrip = listener;
    }

    void tripped(Trip trip) {
        onTrip.accept(trip);
    }

    /** Whether any level of the chain has a session budget or a brake: else a session costs no state. */
    public static boolean governs(KeyChain chain) {
        for (Principal p : chain.levels()) {
            if (p.governance().brake().isPresent() || p.governance().budgets().stream().anyMatch(b -> !b.period().calendar())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks the brake and the session budgets, then holds {@code nanos} on the session.
     *
     * @param call the tool call this request answers, if any (the brake's repeat rule)
     */
    public Decision admit(KeyChain chain, Key key, String model, long nanos, Optional<ToolCall> call) {
        long now = clock.millis();
        if (shared != null) {
            return shared.admit(this, chain, key, model, nanos, call, now);
        }
        sweep(now, key);
        while (true) {
            State s = states.computeIfAbsent(key, k -> new State());
            synchronized (s) {
                if (s.forgotten) {
                    continue; // swept between the lookup and the lock
                }
                s.lastSeen = now;
                return decide(chain, key, s, model, nanos, call, now);
            }
        }
    }

    private Decision decide(KeyChain chain, Key key, State s, String model, long nanos, Optional<ToolCall> call, long now) {
        if (s.pause != null && s.pause.until().toEpochMilli() > now) {
            return new Refused(paused(key, s.pause, now), s.pause.rule());
        }
        s.pause = null;
        Rules rules = Rules.of(chain);
        if (rules.any()) {
            Optional<Pause> trip = brake(rules, s, call, now);
            if (trip.isPresent()) {
                s.pause = trip.get();
                onTrip.accept(new Trip(key, trip.get()));
                return new Refused(paused(key, trip.get(), now), trip.get().rule());
            }
        }
        List<String> warnings = new ArrayList<>(0);
        long[] perModel = s.byModel.get(model);
        for (Principal level : chain.levels()) {
            for (Budget b : level.governance().budgets()) {
                if (b.period().calendar() || b.model().isPresent() && !b.model().get().equals(model)) {
                    continue;
                }
                long used = b.model().isPresent() ? (perModel == null ? 0 : perModel[0] + perModel[1]) : s.spent + s.inFlight;
                Optional<Refused> refused = check(level, b, key, used, nanos, warnings);
                if (refused.isPresent()) {
                    return refused.get();
                }
            }
        }
        s.inFlight += nanos;
        s.byModel.computeIfAbsent(model, m -> new long[2])[1] += nanos;
        if (rules.any()) {
            s.recent.addLast(new long[] {now, 0});
            if (s.recent.size() > MAX_RECENT) {
                s.recent.removeFirst();
            }
        }
        return new Admitted(new Hold(this, key, s, model, nanos), List.copyOf(warnings));
    }

    /**
     * One session budget on {@code used} (spent and held before this request): its refusal, or a warning
     * added when past its {@code warn_at_percent}. The same words on one node and on several.
     */
    static Optional<Refused> check(Principal level, Budget b, Key key, long used, long nanos, List<String> warnings) {
        long limit = Money.nanos(b.usd());
        String what = "Session budget" + b.model().map(m -> " for model " + m).orElse("") + " of " + Level.of(level).id() + " "
                + level.id();
        if (used + nanos > limit || nanos == 0 && used >= limit) {
            String state = used >= limit ? " is spent for this session: " + Money.format(used) + " of " + Money.format(limit)
                    : " would be exceeded by this request: " + Money.format(used) + " of " + Money.format(limit)
                            + " used and it needs about " + Money.format(nanos);
            return Optional.of(new Refused(new GatewayError.BudgetExhausted(what + state + " (session " + key.id()
                    + "). To go on, start a new session (a new task or conversation), or ask the platform team to raise "
                    + "the session budget.", null), null));
        }
        if (b.warnAtPercent().isPresent() && (used + nanos) * 100 >= limit * (long) b.warnAtPercent().getAsInt()) {
            warnings.add(what + ": " + Money.format(used + nanos) + " of " + Money.format(limit) + " used or held in this session ("
                    + percent(used + nanos, limit) + "%)");
        }
        return Optional.empty();
    }

    /**
     * Where a request of this session goes under its budgets' downgrades. A session keeps its model
     * between switch points, so its prompt cache stays warm: it switches only on its first request for
     * a model (no cache there yet), on the request after a {@code compaction_trigger}, or on one that
     * carries a compaction the session has not sent before. Once downgraded, it stays so.
     *
     * @param compaction a mark of the newest compaction item the request carries, if any
     * @param trigger    the request asks for a compaction (its answer is the summary; it stays on its model)
     * @param crossed    the downgrade crossed now, given the session's own spend (for session budgets)
     */
    public Optional<Pacing> pace(Key key, String model, Optional<String> compaction, boolean trigger,
                                 java.util.function.Function<Spent, Optional<Pacing>> crossed) {
        long now = clock.millis();
        if (shared != null) {
            return shared.pace(key, model, compaction, trigger, crossed, now, MAX_LANES);
        }
        sweep(now, key);
        while (true) {
            State s = states.computeIfAbsent(key, k -> new State());
            synchronized (s) {
                if (s.forgotten) {
                    continue;
                }
                s.lastSeen = now;
                boolean compacted = compaction.isPresent() && !compaction.get().equals(s.lastCompaction);
                boolean switchPoint = !s.lanes.containsKey(model) || s.afterTrigger || compacted;
                compaction.ifPresent(c -> s.lastCompaction = c);
                s.afterTrigger = trigger;
                Pacing kept = s.lanes.get(model);
                if (!switchPoint || trigger) {
                    return Optional.ofNullable(kept);
                }
                Optional<Pacing> decided = kept != null ? Optional.of(kept) : crossed.apply(spent(s));
                if (s.lanes.size() < MAX_LANES || s.lanes.containsKey(model)) {
                    s.lanes.put(model, decided.orElse(null));
                }
                return decided;
            }
        }
    }

    private static Spent spent(State s) {
        Map<String, Long> byModel = new HashMap<>(s.byModel.size());
        s.byModel.forEach((m, v) -> byModel.put(m, v[0] + v[1]));
        return new Spent(s.spent + s.inFlight, byModel);
    }

    static long percent(long used, long limit) {
        return limit == 0 ? 100 : used * 100 / limit;
    }

    /** Counts this request against the brake's rules; the pause when one trips. */
    private Optional<Pause> brake(Rules rules, State s, Optional<ToolCall> call, long now) {
        if (call.isPresent()) {
            ToolCall c = call.get();
            String agent = c.agent() == null ? "" : c.agent();
            Streak streak = s.streaks.containsKey(agent) || s.streaks.size() < MAX_STREAKS
                    ? s.streaks.computeIfAbsent(agent, a -> new Streak()) : s.streaks.computeIfAbsent("*", a -> new Streak());
            if (c.position() != streak.lastPosition) { // a retried request repeats its position, and is no new call
                streak.repeats = c.signature().equals(streak.lastSignature) ? streak.repeats + 1 : 1;
                streak.lastSignature = c.signature();
                streak.lastPosition = c.position();
            }
            if (rules.repeated > 0 && streak.repeats >= rules.repeated) {
                return Optional.of(pause(rules, "repeated_tool_call", reason("repeated_tool_call", c.name(), streak.repeats, rules.repeated - 1), now));
            }
        }
        while (!s.recent.isEmpty() && s.recent.peekFirst()[0] <= now - MINUTE) {
            s.recent.removeFirst();
        }
        if (rules.rpm > 0) {
            long requests = s.recent.stream().filter(r -> r[1] == 0).count() + 1;
            if (requests > rules.rpm) {
                return Optional.of(pause(rules, "requests_per_minute", reason("requests_per_minute", null, requests, rules.rpm), now));
            }
        }
        if (rules.usdPerMinute > 0) {
            long spent = s.recent.stream().mapToLong(r -> r[1]).sum();
            if (spent > rules.usdPerMinute) {
                return Optional.of(pause(rules, "usd_per_minute", reason("usd_per_minute", null, spent, rules.usdPerMinute), now));
            }
        }
        return Optional.empty();
    }

    /**
     * Why a rule tripped, in words, from the facts a pause keeps (the same on every node that reads it).
     *
     * @param count the repeats, the requests within the minute, or the nanodollars spent within it
     * @param allow what the brake allows of the same
     */
    static String reason(String rule, String tool, long count, long allow) {
        return switch (rule) {
            case "repeated_tool_call" -> "the agent called the tool '" + tool + "' with the same arguments " + count
                    + " times in a row (the brake allows " + allow + ")";
            case "requests_per_minute" -> "the session sent " + count + " requests within a minute (the brake allows " + allow + ")";
            default -> "the session spent " + Money.format(count) + " within a minute (the brake allows " + Money.format(allow) + ")";
        };
    }

    private static Pause pause(Rules rules, String rule, String reason, long now) {
        return new Pause(rule, reason, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now + rules.pause.toMillis()));
    }

    static GatewayError.SessionPaused paused(Key key, Pause p, long now) {
        long seconds = Math.max(1, (p.until().toEpochMilli() - now + 999) / 1000);
        return new GatewayError.SessionPaused("This agent session (" + key.id() + ") is paused by the gateway's runaway brake: " + p.reason()
                + ". It may go on at " + p.until() + " (in " + seconds + " s), or sooner if an operator resumes it "
                + "(POST /admin/sessions/" + key.id() + "/resume). If the agent is stuck in a loop, stop it and start a new session.",
                Map.of("Retry-After", Long.toString(seconds)));
    }

    /** The tightest of each rule along the chain; the longest pause among the levels that have a brake. */
    record Rules(int repeated, long rpm, long usdPerMinute, Duration pause) {
        static Rules of(KeyChain chain) {
            int repeated = 0;
            long rpm = 0;
            long usd = 0;
            Duration pause = Duration.ZERO;
            for (Principal p : chain.levels()) {
                Optional<Brake> b = p.governance().brake();
                if (b.isEmpty()) {
                    continue;
                }
                Brake k = b.get();
                if (k.repeatedToolCall().isPresent() && (repeated == 0 || k.repeatedToolCall().getAsInt() < repeated)) {
                    repeated = k.repeatedToolCall().getAsInt();
                }
                if (k.requestsPerMinute().isPresent() && (rpm == 0 || k.requestsPerMinute().getAsInt() < rpm)) {
                    rpm = k.requestsPerMinute().getAsInt();
                }
                if (k.usdPerMinute().isPresent() && (usd == 0 || Money.nanos(k.usdPerMinute().get()) < usd)) {
                    usd = Money.nanos(k.usdPerMinute().get());
                }
                if (k.pause().compareTo(pause) > 0) {
                    pause = k.pause();
                }
            }
            return new Rules(repeated, rpm, usd, pause);
        }

        boolean any() {
            return repeated > 0 || rpm > 0 || usdPerMinute > 0;
        }
    }

    /** What a request holds on its session until it settles. */
    public static final class Hold {
        private final Sessions sessions;
        private final Key key;
        private final State state;
        private final String model;
        private final long nanos;
        private boolean done;

        /** @param state the session's state on this node; null when it lives in Redis */
        Hold(Sessions sessions, Key key, State state, String model, long nanos) {
            this.sessions = sessions;
            this.key = key;
            this.state = state;
            this.model = model;
            this.nanos = nanos;
        }

        public Key key() {
            return key;
        }

        /** Replaces the hold by the real cost, once. */
        public void settle(long costNanos) {
            finish(costNanos);
        }

        /** Gives the hold back unspent (another budget refused the request). */
        public void release() {
            finish(-1);
        }

        private void finish(long cost) {
            long now = sessions.clock.millis();
            if (state == null) {
                synchronized (this) {
                    if (done) {
                        return;
                    }
                    done = true;
                }
                sessions.shared.settle(key, model, nanos, cost, now);
                return;
            }
            synchronized (state) {
                if (done) {
                    return;
                }
                done = true;
                state.inFlight -= nanos;
                long[] m = state.byModel.get(model);
                if (m != null) {
                    m[1] -= nanos;
                }
                if (cost >= 0) {
                    state.spent += cost;
                    if (m != null) {
                        m[0] += cost;
                    }
                    if (cost > 0 && state.recent.size() < MAX_RECENT) {
                        state.recent.addLast(new long[] {now, cost});
                    }
                }
                state.lastSeen = now;
            }
        }
    }

    /** Resumes paused sessions with this id (under {@code keyId} only, when given); the keys resumed. */
    public List<Key> resume(String id, String keyId) {
        if (shared != null) {
            return shared.resume(id, keyId, clock.millis());
        }
        List<Key> resumed = new ArrayList<>();
        for (Map.Entry<Key, State> e : states.entrySet()) {
            if (!e.getKey().id().equals(id) || keyId != null && !e.getKey().keyId().equals(keyId)) {
                continue;
            }
            State s = e.getValue();
            synchronized (s) {
                if (s.pause != null) {
                    s.pause = null;
                    s.streaks.clear();
                    s.recent.clear();
                    resumed.add(e.getKey());
                }
            }
        }
        return resumed;
    }

    /** The session's state now, if this node (or, in Redis mode, Redis) holds it. */
    public Optional<View> view(Key key) {
        if (shared != null) {
            return shared.view(key, clock.millis());
        }
        State s = states.get(key);
        if (s == null) {
            return Optional.empty();
        }
        synchronized (s) {
            Pause p = s.pause != null && s.pause.until().toEpochMilli() > clock.millis() ? s.pause : null;
            return s.forgotten ? Optional.empty() : Optional.of(new View(key, s.spent, s.inFlight, Instant.ofEpochMilli(s.lastSeen), p));
        }
    }

    /** Sessions paused now. */
    public List<View> paused() {
        if (shared != null) {
            return shared.paused(clock.millis());
        }
        List<View> out = new ArrayList<>();
        for (Key k : states.keySet()) {
            view(k).filter(v -> v.pause() != null).ifPresent(out::add);
        }
        return out;
    }

    public int size() {
        return states.size();
    }

    /** Forgets idle sessions once a minute, or at once when a new session would pass the cap. */
    private void sweep(long now, Key arriving) {
        boolean full = states.size() >= max && !states.containsKey(arriving);
        if (!full && now - lastSweep < MINUTE) {
            return;
        }
        lastSweep = now;
        long cutoff = now - idle.toMillis();
        states.forEach((k, s) -> {
            synchronized (s) {
                if (s.lastSeen < cutoff && s.inFlight == 0 && (s.pause == null || s.pause.until().toEpochMilli() <= now)) {
                    s.forgotten = true;
                    states.remove(k, s);
                }
            }
        });
        if (states.size() >= max && !states.containsKey(arriving)) {
            // Still full of live sessions: forget the longest idle with nothing in flight, to make room.
            List<Map.Entry<Key, State>> byAge = new ArrayList<>(states.entrySet());
            byAge.sort(Comparator.comparingLong(e -> e.getValue().lastSeen));
            int excess = states.size() - max + 1;
            for (Map.Entry<Key, State> e : byAge) {
                if (excess <= 0) {
                    break;
                }
                State s = e.getValue();
                synchronized (s) {
                    if (s.inFlight == 0 && s.pause == null) {
                        s.forgotten = true;
                        states.remove(e.getKey(), s);
                        excess--;
                    }
                }
            }
        }
    }
}
