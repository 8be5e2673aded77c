package dev.tollgate.server.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.server.trace.RequestRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The request log: one row per request in a SQLite file (WAL) in the state directory. Requests hand
 * their record to a bounded queue and go on; one writer thread inserts them in batches, one
 * transaction per batch. When the queue is full the record is dropped and counted: the log may lose
 * a line under overload, the request never waits for the disk.
 */
public final class RequestLog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RequestLog.class.getName());
    private static final ObjectMapper JSON = dev.tollgate.providers.json.JsonBody.MAPPER; // plain decimals
    private static final int BATCH = 512;
    /**
     * A quarter of a second between batches, one transaction per up to BATCH rows: most of a small
     * batch's cost is caches gone cold while the thread slept, so fewer, larger batches cost less a
     * row (conformance-tests/bench/results). Records reach the search that much later; spend does not
     * go through this log.
     */
    private static final long FLUSH_MILLIS = 250;
    /**
     * Rows bound between two yields: a long batch would hold a CPU for milliseconds, and a request
     * thread woken behind it waits; yielding every few dozen rows lets it run. The transaction stays open.
     */
    private static final int ROWS_PER_YIELD = 32;
    private static final String COLUMNS = "id, time_ms, key_id, team, customer, surface, api, client, requested_model, provider, model, "
            + "attempts, status, error_type, stream, input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, "
            + "cost_usd, latency_ms, ttft_ms, upstream_ms, policy_commit, trace_id";
    /** Only one record's read returns these: searches stay light however much content was captured. */
    private static final String CONTENT_COLUMNS = "request_content, response_content";
    /** Added after the first schema: a log written before gains them (null in old rows). */
    private static final String LATER_COLUMNS = "notes, session_id, agent_id, tool_call";

    private final BlockingQueue<RequestRecord> queue;
    private final java.util.concurrent.CompletableFuture<Connection> ready = new java.util.concurrent.CompletableFuture<>();
    private Connection writer;
    /** The writer's insert; only used under {@code synchronized (writer)}. */
    private PreparedStatement insert;
    private final Path file;
    private final Duration retention;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final Thread thread;
    private volatile boolean closing;
    private volatile boolean failed;
    private Instant lastPrune = Instant.EPOCH;

    private RequestLog(Path file, int capacity, Duration retention) {
        this.file = file;
        this.retention = retention;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().daemon().name("request-log-writer").unstarted(this::run);
    }

    /**
     * Opens the store on the writer's thread: loading SQLite's native library and creating the schema
     * take a few hundred ms that the gateway's start-up does not wait for; records queue meanwhile.
     */
    private Connection initialize() throws SQLException {
        Connection c = open(file);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, time_ms INTEGER NOT NULL, key_id TEXT, team TEXT, "
                    + "customer TEXT, surface TEXT, api TEXT, client TEXT, requested_model TEXT, provider TEXT, model TEXT, "
                    + "attempts TEXT, status INTEGER, error_type TEXT, stream INTEGER, input_tokens INTEGER, output_tokens INTEGER, "
                    + "cached_tokens INTEGER, cache_write_tokens INTEGER, reasoning_tokens INTEGER, cost_usd TEXT, latency_ms REAL, "
                    + "ttft_ms REAL, upstream_ms REAL, policy_commit TEXT, trace_id TEXT)");
            addContentColumns(s);
            s.execute("CREATE INDEX IF NOT EXISTS requests_time ON requests(time_ms)");
            s.execute("CREATE INDEX IF NOT EXISTS requests_key ON requests(key_id, time_ms)");
            s.execute("CREATE INDEX IF NOT EXISTS requests_team ON requests(team, time_ms)");
            s.execute("CREATE INDEX IF NOT EXISTS requests_session ON requests(session_id, key_id, time_ms)");
        }
        c.setAutoCommit(false);
        return c;
    }

    /** A log written before content capture existed gains its columns (null in old rows). */
    private static void addContentColumns(Statement s) throws SQLException {
        java.util.Set<String> have = new java.util.HashSet<>();
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(requests)")) {
            while (rs.next()) {
                have.add(rs.getString("name"));
            }
        }
        for (String column : (CONTENT_COLUMNS + ", " + LATER_COLUMNS).split(",\\s*")) {
            if (!have.contains(column)) {
                s.execute("ALTER TABLE requests ADD COLUMN " + column + " TEXT");
            }
        }
    }

    /** The writer's connection once the store is open (readers wait for the schema too). */
    private Connection writer() throws SQLException {
        try {
            return ready.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new SQLException("the request log could not be opened: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new SQLException("the request log is still opening");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted");
        }
    }

    /** Opens (creating) {@code file} and starts the writer. */
    public static RequestLog open(Path file, int capacity, Duration retention) {
        RequestLog log = openStopped(file, capacity, retention);
        log.start();
        return log;
    }

    /** Without its writer running yet: tests fill the queue first. */
    static RequestLog openStopped(Path file, int capacity, Duration retention) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return new RequestLog(file, capacity, retention);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot open the request log " + file + ": " + e.getMessage(), e);
        }
    }

    void start() {
        thread.start();
    }

    private static Connection open(Path file) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath() + "?jdbc.get_generated_keys=false");
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=5000");
        }
        return c;
    }

    /** Hands a record to the writer; false (and counted) when the queue is full. Never blocks. */
    public boolean offer(RequestRecord record) {
        if (closing || failed || !queue.offer(record)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    public long dropped() {
        return dropped.get();
    }

    public long written() {
        return written.get();
    }

    public int queued() {
        return queue.size();
    }

    private void run() {
        try {
            writer = initialize();
            ready.complete(writer);
        } catch (SQLException e) {
            LOG.severe("request log: cannot open " + file + " (" + e.getMessage() + "); request records are dropped and counted");
            ready.completeExceptionally(e);
            failed = true;
            dropped.addAndGet(queue.size());
            queue.clear();
            return;
        }
        List<RequestRecord> batch = new ArrayList<>(BATCH);
        // The writer wakes on a fixed tick, not per record: at a moderate rate a wake-up and a
        // transaction per request cost the gateway more CPU than the request itself.
        // With nothing queued it waits for the next record instead (or a minute, to prune).
        while (true) {
            boolean last = closing;
            try {
                if (queue.isEmpty() && !last) {
                    RequestRecord first = queue.poll(1, TimeUnit.MINUTES);
                    if (first != null) {
                        batch.add(first);
                    }
                }
                Thread.sleep(FLUSH_MILLIS);
            } catch (InterruptedException e) {
                closing = true;
            }
            queue.drainTo(batch, BATCH - batch.size());
            while (!batch.isEmpty()) {
                write(batch);
                batch.clear();
                queue.drainTo(batch, BATCH);
            }
            prune();
            if (last || closing && queue.isEmpty()) {
                return;
            }
        }
    }

    private void write(List<RequestRecord> batch) {
        synchronized (writer) {
            writeLocked(batch);
        }
    }

    private void writeLocked(List<RequestRecord> batch) {
        try {
            if (insert == null) {
                // prepared once, not per batch: SQLite compiles a statement on every prepare
                insert = writer.prepareStatement("INSERT OR REPLACE INTO requests (" + COLUMNS + ", " + CONTENT_COLUMNS
                        + ", " + LATER_COLUMNS + ") VALUES (" + "?,".repeat(31) + "?)");
            }
            int bound = 0;
            for (RequestRecord r : batch) {
                RequestRows.bind(insert, r);
                insert.addBatch();
                if (++bound % ROWS_PER_YIELD == 0) {
                    insert.executeBatch();
                    Thread.yield();
                }
            }
            insert.executeBatch();
            writer.commit();
            written.addAndGet(batch.size());
        } catch (SQLException e) {
            dropped.addAndGet(batch.size());
            LOG.log(Level.WARNING, "request log: " + batch.size() + " records lost: " + e.getMessage());
            try {
                insert.clearBatch();
                writer.rollback();
            } catch (SQLException | RuntimeException ignored) {
                // the next batch starts a new transaction either way
            }
        }
    }

    /**
     * One record's columns. Kept out of the batch loop, and the attempts written by hand rather than
     * by Jackson: C2 compiled the whole loop with Jackson inlined in ~0.7 s, again after every deopt.
     */
    /** Deletes rows older than the retention, at most once a minute. */
    private void prune() {
        Instant now = Instant.now();
        if (retention.isZero() || Duration.between(lastPrune, now).toMinutes() < 1) {
            return;
        }
        lastPrune = now;
        pruneBefore(now.minus(retention));
    }

    /** Deletes rows older than {@code cutoff}; the number deleted. */
    int pruneBefore(Instant cutoff) {
        Connection writer;
        try {
            writer = writer();
        } catch (SQLException e) {
            return 0;
        }
        synchronized (writer) {
            try (PreparedStatement delete = writer.prepareStatement("DELETE FROM requests WHERE time_ms < ?")) {
                delete.setLong(1, cutoff.toEpochMilli());
                int n = delete.executeUpdate();
                writer.commit();
                return n;
            } catch (SQLException e) {
                LOG.warning("request log: pruning failed: " + e.getMessage());
                return 0;
            }
        }
    }

    /** Search filters; null means any. {@code status} is a code (404) or a class (4xx, 5xx, error = 400 and up). */
    public record Query(String key, String team, String model, String status, Instant since, Instant until, int limit) {
    }

    /** Newest first. Reads on a connection of its own: WAL lets readers run beside the writer. */
    public List<RequestRecord> search(Query q) throws SQLException {
        writer();
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + ", " + LATER_COLUMNS + " FROM requests WHERE 1=1");
        List<Object> args = new ArrayList<>();
        if (q.key() != null) {
            sql.append(" AND key_id = ?");
            args.add(q.key());
        }
        if (q.team() != null) {
            sql.append(" AND team = ?");
            args.add(q.team());
        }
        if (q.model() != null) {
            sql.append(" AND (requested_model = ? OR model = ?)");
            args.add(q.model());
            args.add(q.model());
        }
        if (q.status() != null) {
            String s = q.status().toLowerCase();
            if (s.equals("error")) {
                sql.append(" AND status >= 400");
            } else if (s.matches("[1-5]xx")) {
                int base = (s.charAt(0) - '0') * 100;
                sql.append(" AND status >= ? AND status < ?");
                args.add(base);
                args.add(base + 100);
            } else if (s.matches("\\d{3}")) {
                sql.append(" AND status = ?");
                args.add(Integer.parseInt(s));
            } else {
                throw new IllegalArgumentException("status must be a code (429), a class (4xx) or 'error'");
            }
        }
        if (q.since() != null) {
            sql.append(" AND time_ms >= ?");
            args.add(q.since().toEpochMilli());
        }
        if (q.until() != null) {
            sql.append(" AND time_ms < ?");
            args.add(q.until().toEpochMilli());
        }
        sql.append(" ORDER BY time_ms DESC LIMIT ?");
        args.add(q.limit());
        List<RequestRecord> out = new ArrayList<>();
        try (Connection c = open(file); PreparedStatement st = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                st.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(RequestRows.read(rs, null));
                }
            }
        }
        return out;
    }

    /** One agent session's records (its id under one key), oldest first, without content. */
    public List<RequestRecord> session(String key, String session, int limit) throws SQLException {
        writer();
        try (Connection c = open(file); PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS + ", " + LATER_COLUMNS
                + " FROM requests WHERE session_id = ? AND key_id IS ? ORDER BY time_ms LIMIT ?")) {
            st.setString(1, session);
            st.setString(2, key);
            st.setInt(3, limit);
            List<RequestRecord> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(RequestRows.read(rs, null));
                }
            }
            return out;
        }
    }

    /** One record with its captured content, if the log still holds it. */
    public java.util.Optional<RequestRecord> byId(String id) throws SQLException {
        writer();
        try (Connection c = open(file);
             PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS + ", " + CONTENT_COLUMNS + ", " + LATER_COLUMNS + " FROM requests WHERE id = ?")) {
            st.setString(1, id);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                String request = rs.getString("request_content");
                return java.util.Optional.of(RequestRows.read(rs, request == null ? null
                        : new RequestRecord.Content(request, rs.getString("response_content"))));
            }
        }
    }

    /** A read-only query on a connection of its own (the dashboard's aggregates). */
    @FunctionalInterface
    public interface Reader<T> {
        T read(Connection connection) throws SQLException;
    }

    public <T> T read(Reader<T> reader) throws SQLException {
        writer();
        try (Connection c = open(file)) {
            return reader.read(c);
        }
    }

    @Override
    public void close() {
        closing = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (writer != null) {
                writer.close();
            }
        } catch (SQLException e) {
            LOG.warning("request log: close failed: " + e.getMessage());
        }
    }
}
