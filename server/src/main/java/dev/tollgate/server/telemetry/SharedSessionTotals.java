package dev.tollgate.server.telemetry;

import dev.tollgate.server.shared.LuaScript;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import dev.tollgate.server.trace.RequestRecord;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Agent sessions' totals in a Redis shared by several nodes (the request log is per node): every
 * request-log record of a session adds to a hash per key and session ({@code st:KEY/ID}), and a sorted
 * set ({@code si}) orders the sessions by last seen, so {@code GET /admin/sessions} on any node lists
 * every node's requests. Written off the request path: records queue here (at most {@link #QUEUE}) and
 * one thread adds them; while Redis is unreachable they wait, and the oldest beyond the queue are lost.
 *
 * <p>Bounded: a session's totals expire {@link #KEEP} after its last request, the index keeps at most
 * {@link #MAX_SESSIONS} sessions, and at most {@link #MAX_NAMES} models, clients and subagents are kept each.
 */
public final class SharedSessionTotals implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SharedSessionTotals.class.getName());
    private static final LuaScript ADD = LuaScript.load(SharedSessionTotals.class, "session-totals.lua");
    public static final Duration KEEP = Duration.ofDays(7);
    static final int MAX_SESSIONS = 100_000;
    static final int MAX_NAMES = 32;
    static final int QUEUE = 10_000;
    /** Requests a session's shared timeline keeps, the latest (each node's request log keeps every one). */
    static final int TIMELINE_ROWS = 200;
    /** Sessions read at most for one list (the most recently seen); the list is sorted from them. */
    static final int MAX_READ = 10_000;

    private final SharedStore store;
    private final String prefix;
    private final BlockingQueue<RequestRecord> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread writer;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();

    public SharedSessionTotals(SharedStore store, String prefix) {
        this.store = store;
        this.prefix = prefix;
        this.writer = Thread.ofPlatform().name("tollgate-session-totals").daemon(true).start(this::write);
    }

    public SharedSessionTotals(SharedStore store) {
        this(store, "tollgate:");
    }

    /** Queues a record of a session; never waits. */
    public void offer(RequestRecord r) {
        if (r.session() == null || r.keyId() == null) {
            return;
        }
        while (!queue.offer(r)) {
            if (queue.poll() != null && dropped.getAndIncrement() % 1000 == 0) {
                LOG.warning(dropped.get() + " requests of sessions left out of the shared session totals so far: Redis is behind or unreachable");
            }
        }
    }

    private void write() {
        RequestRecord next = null;
        while (true) {
            try {
                if (next == null) {
                    next = closed ? queue.poll() : queue.poll(1, TimeUnit.SECONDS);
                    if (next == null) {
                        if (closed) {
                            return; // every record queued before the node stopped is in
                        }
                        continue;
                    }
                }
                add(next);
                next = null;
            } catch (StoreUnreachable e) {
                if (closed) {
                    LOG.warning((queue.size() + 1) + " requests were left out of the shared session totals: Redis was unreachable as the node stopped");
                    return;
                }
                LOG.fine(() -> "session totals wait for Redis: " + e.getMessage());
                pause();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(java.util.logging.Level.WARNING, "a session's request could not be added to the shared totals (request "
                        + next.id() + ")", e);
                next = null;
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(SharedStore.TIMEOUT.toMillis() / 4); // Lettuce reconnects every 250 ms
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void add(RequestRecord r) {
        String member = r.keyId() + "/" + r.session();
        String cost = r.costUsd() == null ? "" : r.costUsd().movePointRight(9).setScale(0, RoundingMode.HALF_UP).toBigInteger().toString();
        ADD.run(store, ScriptOutputType.INTEGER, new String[] {prefix + "st:" + member, prefix + "si", prefix + "stl:" + member}, member,
                Long.toString(r.time().toEpochMilli()), nz(r.team()), nz(r.customer()), Integer.toString(r.status()),
                Long.toString(r.inputTokens()), Long.toString(r.outputTokens()), Long.toString(r.cachedTokens()),
                Long.toString(r.cacheWriteTokens()), Long.toString(r.reasoningTokens()), cost, r.toolCall() == null ? "0" : "1",
                nz(r.requestedModel()), nz(r.client()), nz(r.agent()), Long.toString(KEEP.toSeconds()), Integer.toString(MAX_SESSIONS),
                Integer.toString(MAX_NAMES), SessionRoutes.row(r).toString(), Integer.toString(TIMELINE_ROWS));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /**
     * Sessions seen since {@code since}, most expensive first.
     *
     * @throws StoreUnreachable when Redis does not answer
     */
    List<SessionRoutes.Totals> list(String key, String team, Instant since, int limit) {
        List<String> members = store.call(r -> r.zrevrangebyscore(prefix + "si",
                Range.create((double) since.toEpochMilli(), Double.POSITIVE_INFINITY), Limit.create(0, MAX_READ)));
        List<SessionRoutes.Totals> out = new ArrayList<>();
        for (String m : members) {
            int slash = m.lastIndexOf('/');
            if (key != null && !m.substring(0, slash).equals(key)) {
                continue;
            }
            read(m).filter(t -> team == null || team.equals(t.team())).ifPresent(out::add);
        }
        out.sort(Comparator.comparingLong(SessionRoutes.Totals::costNanos).reversed()
                .thenComparing(Comparator.comparingLong(SessionRoutes.Totals::last).reversed()));
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    /** One session id's totals: under {@code key}, or under every key that used it. */
    List<SessionRoutes.Totals> session(String id, String key) {
        List<String> members = new ArrayList<>();
        if (key != null) {
            members.add(key + "/" + id);
        } else {
            store.call(r -> {
                // Session ids hold no glob characters (SessionId: letters, digits, . _ : -).
                ScanIterator.zscan(r, prefix + "si", ScanArgs.Builder.matches("*/" + id).limit(1000))
                        .forEachRemaining((ScoredValue<String> v) -> members.add(v.getValue()));
                return null;
            });
        }
        List<SessionRoutes.Totals> out = new ArrayList<>();
        for (String m : members) {
            read(m).ifPresent(out::add);
        }
        return out;
    }

    /**
     * A session's latest requests on every node, oldest first.
     *
     * @throws StoreUnreachable when Redis does not answer
     */
    List<com.fasterxml.jackson.databind.JsonNode> timeline(String key, String id) {
        List<String> rows = store.call(r -> r.lrange(prefix + "stl:" + key + "/" + id, 0, -1));
        List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>(rows.size());
        for (String row : rows) {
            try {
                out.add(dev.tollgate.providers.json.JsonBody.MAPPER.readTree(row));
            } catch (java.io.IOException e) {
                // written by this class only: a row that does not parse is left out
            }
        }
        // Nodes add their records as they write them: order by the time each request arrived.
        out.sort(Comparator.comparing((com.fasterxml.jackson.databind.JsonNode n) -> Instant.parse(n.path("time").asText())));
        return out;
    }

    private java.util.Optional<SessionRoutes.Totals> read(String member) {
        Map<String, String> h = store.call(r -> r.hgetall(prefix + "st:" + member));
        if (h.isEmpty()) {
            return java.util.Optional.empty();
        }
        int slash = member.lastIndexOf('/');
        return java.util.Optional.of(new SessionRoutes.Totals(member.substring(0, slash), member.substring(slash + 1), h.get("team"),
                h.get("customer"), n(h, "requests"), n(h, "errors"), n(h, "input"), n(h, "output"), n(h, "cached"), n(h, "cache_write"),
                n(h, "reasoning"), n(h, "cost"), n(h, "unpriced"), names(h, "model:"), names(h, "client:"), names(h, "agent:"),
                n(h, "tool_calls"), n(h, "first"), n(h, "last")));
    }

    private static long n(Map<String, String> h, String field) {
        String v = h.get(field);
        return v == null ? 0 : Long.parseLong(v);
    }

    /** The names under {@code kind}, comma-joined as the request log's GROUP_CONCAT gives them; null when none. */
    private static String names(Map<String, String> h, String kind) {
        TreeSet<String> names = new TreeSet<>();
        h.keySet().stream().filter(f -> f.startsWith(kind)).forEach(f -> names.add(f.substring(kind.length())));
        return names.isEmpty() ? null : String.join(",", names);
    }

    /** Adds what is queued (Redis answering), then stops; before the Redis connection closes. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(SharedStore.TIMEOUT.multipliedBy(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.interrupt();
    }
}
