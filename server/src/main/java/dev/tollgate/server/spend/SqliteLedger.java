package dev.tollgate.server.spend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The ledger in a SQLite file (WAL) in the state directory. One background thread owns the write
 * connection and commits whatever has queued up in one transaction (group commit): under load many
 * requests share a commit, when idle a commit holds one. A settle waits for its commit; a
 * reservation does not wake the writer: it rides the next commit (at the latest 50 ms later), and a
 * reservation settled before it was written becomes one settled row. So a request costs one row
 * write and at most one commit; a process killed mid-request may lose a reservation younger than
 * 50 ms, never the spend of an answer whose last bytes were sent.
 *
 * <p>Checkpoints (copying the WAL into the database file, with an fsync) run on their own
 * connection and thread once a second, so commits never wait for one.
 *
 * <p>{@code synchronous=NORMAL} by default: a commit is in the OS before the answer's last bytes
 * leave, so a killed process loses nothing; a power cut may lose the last commits. {@code FULL}
 * fsyncs every group commit (one fsync per batch, not per request).
 */
public final class SqliteLedger implements Ledger {

    private static final Logger LOG = Logger.getLogger(SqliteLedger.class.getName());
    private static final int MAX_BATCH = 2_000;

    private sealed interface Op permits Settle, Stop {
    }

    private record Settle(Reservation r, Charge c, CompletableFuture<Void> done) implements Op {
    }

    private record Stop(CompletableFuture<Void> done) implements Op {
    }

    private final String url;
    private final Connection writer;
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<Reservation> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.ScheduledExecutorService checkpointer;
    private final AtomicLong ids;
    private final Thread thread;

    private SqliteLedger(String url, Connection writer, long firstId) {
        this.url = url;
        this.writer = writer;
        this.ids = new AtomicLong(firstId);
        this.thread = Thread.ofPlatform().name("tollgate-ledger").daemon(true).start(this::run);
        this.checkpointer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("tollgate-ledger-checkpoint").daemon(true).factory());
        checkpointer.scheduleWithFixedDelay(this::checkpoint, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void checkpoint() {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (SQLException e) {
            LOG.log(Level.FINE, "ledger checkpoint skipped", e);
        }
    }

    public static SqliteLedger open(Path stateDir, boolean fsyncEveryCommit) {
        try {
            Files.createDirectories(stateDir);
            String url = "jdbc:sqlite:" + stateDir.resolve("spend.db").toAbsolutePath();
            Connection c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=" + (fsyncEveryCommit ? "FULL" : "NORMAL"));
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA wal_autocheckpoint=0");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS spend(
                          id INTEGER PRIMARY KEY,
                          at_ms INTEGER NOT NULL,
                          day INTEGER NOT NULL,
                          key_id TEXT NOT NULL, team_id TEXT NOT NULL, customer_id TEXT NOT NULL, model TEXT NOT NULL,
                          status TEXT NOT NULL,            -- reserved | settled | recovered
                          reserved_nanos INTEGER NOT NULL,
                          cost_nanos INTEGER NOT NULL DEFAULT 0,
                          input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
                          cached_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
                          reasoning_tokens INTEGER NOT NULL DEFAULT 0, estimated INTEGER NOT NULL DEFAULT 0,
                          settled_ms INTEGER)""");
                s.execute("CREATE INDEX IF NOT EXISTS spend_day ON spend(day)");
            }
            c.setAutoCommit(false);
            long first;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM spend")) {
                rs.next();
                first = rs.getLong(1);
            }
            c.commit();
            return new SqliteLedger(url, c, first);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the spend ledger in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long nextId() {
        return ids.getAndIncrement();
    }

    @Override
    public List<DailySpend> recover() {
        try (Connection c = DriverManager.getConnection(url)) {
            int recovered;
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE spend SET status='recovered', cost_nanos=reserved_nanos, settled_ms=? WHERE status='reserved'")) {
                st.setLong(1, System.currentTimeMillis());
                recovered = st.executeUpdate();
            }
            if (recovered > 0) {
                LOG.warning(recovered + " reservations were never settled (the gateway stopped mid-request): charged at their reserved amount");
            }
            List<DailySpend> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT key_id, team_id, customer_id, model, day, SUM(cost_nanos) FROM spend GROUP BY 1, 2, 3, 4, 5")) {
                while (rs.next()) {
                    out.add(new DailySpend(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the spend ledger: " + e.getMessage(), e);
        }
    }

    @Override
    public void reserved(Reservation reservation) {
        pending.add(reservation);
    }

    @Override
    public void settled(Reservation reservation, Charge charge) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        queue.add(new Settle(reservation, charge, done));
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.log(Level.SEVERE, "spend of reservation " + reservation.id() + " could not be written", e.getCause());
        }
    }

    @Override
    public List<UsageLine> usage(By by, long fromDay) {
        String sql = "SELECT " + by.column + ", COUNT(*), SUM(CASE WHEN status='reserved' THEN 0 ELSE cost_nanos END),"
                + " SUM(CASE WHEN status='reserved' THEN reserved_nanos ELSE 0 END), SUM(input_tokens), SUM(output_tokens)"
                + " FROM spend WHERE day >= ? GROUP BY 1 ORDER BY 3 DESC, 1";
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement(sql)) {
            st.setLong(1, fromDay);
            List<UsageLine> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(new UsageLine(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the spend ledger: " + e.getMessage(), e);
        }
    }

    private void run() {
        List<Op> batch = new ArrayList<>();
        java.util.Map<Long, Reservation> unwritten = new java.util.HashMap<>();
        try (PreparedStatement insert = writer.prepareStatement(
                "INSERT INTO spend(id, at_ms, day, key_id, team_id, customer_id, model, status, reserved_nanos, cost_nanos, input_tokens,"
                        + " output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, estimated, settled_ms)"
                        + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
             PreparedStatement settle = writer.prepareStatement(
                     "UPDATE spend SET status='settled', cost_nanos=?, input_tokens=?, output_tokens=?, cached_tokens=?, cache_write_tokens=?,"
                             + " reasoning_tokens=?, estimated=?, settled_ms=? WHERE id=?")) {
            while (true) {
                batch.clear();
                Op first = queue.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, MAX_BATCH);
                }
                // After the ops: every reservation settled in this batch was added before its settle.
                for (Reservation r; (r = pending.poll()) != null; ) {
                    unwritten.put(r.id(), r);
                }
                if (batch.isEmpty() && unwritten.isEmpty()) {
                    continue;
                }
                Stop stop = null;
                try {
                    long now = System.currentTimeMillis();
                    for (Op op : batch) {
                        switch (op) {
                            case Settle(Reservation r, Charge c, CompletableFuture<Void> d) -> {
                                if (unwritten.remove(r.id()) != null) {
                                    row(insert, r, "settled", c, now);
                                    insert.executeUpdate();
                                } else {
                                    var u = c.usage();
                                    settle.setLong(1, c.nanos());
                                    settle.setLong(2, u.inputTokens());
                                    settle.setLong(3, u.outputTokens());
                                    settle.setLong(4, u.cachedInputTokens());
                                    settle.setLong(5, u.cacheWriteTokens());
                                    settle.setLong(6, u.reasoningTokens());
                                    settle.setInt(7, c.estimated() ? 1 : 0);
                                    settle.setLong(8, now);
                                    settle.setLong(9, r.id());
                                    settle.executeUpdate();
                                }
                            }
                            case Stop s -> stop = s;
                        }
                    }
                    for (Reservation r : unwritten.values()) {
                        row(insert, r, "reserved", null, now);
                        insert.executeUpdate();
                    }
                    writer.commit();
                    unwritten.clear();
                    complete(batch, null);
                } catch (SQLException e) {
                    LOG.log(Level.SEVERE, "spend ledger commit failed; " + batch.size() + " records lost", e);
                    try {
                        writer.rollback();
                    } catch (SQLException ignored) {
                        // the next commit tries again with a fresh transaction
                    }
                    unwritten.clear();
                    complete(batch, e);
                }
                if (stop != null) {
                    checkpointer.shutdownNow();
                    writer.close();
                    stop.done().complete(null);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            LOG.log(Level.SEVERE, "spend ledger writer stopped", e);
        }
    }

    private static void row(PreparedStatement insert, Reservation r, String status, Charge c, long now) throws SQLException {
        insert.setLong(1, r.id());
        insert.setLong(2, r.atMillis());
        insert.setLong(3, r.day());
        insert.setString(4, r.keyId());
        insert.setString(5, r.teamId());
        insert.setString(6, r.customerId());
        insert.setString(7, r.model());
        insert.setString(8, status);
        insert.setLong(9, r.nanos());
        insert.setLong(10, c == null ? 0 : c.nanos());
        insert.setLong(11, c == null ? 0 : c.usage().inputTokens());
        insert.setLong(12, c == null ? 0 : c.usage().outputTokens());
        insert.setLong(13, c == null ? 0 : c.usage().cachedInputTokens());
        insert.setLong(14, c == null ? 0 : c.usage().cacheWriteTokens());
        insert.setLong(15, c == null ? 0 : c.usage().reasoningTokens());
        insert.setInt(16, c != null && c.estimated() ? 1 : 0);
        if (c == null) {
            insert.setNull(17, java.sql.Types.INTEGER);
        } else {
            insert.setLong(17, now);
        }
    }

    private static void complete(List<Op> batch, Exception failure) {
        for (Op op : batch) {
            if (op instanceof Settle s) {
                if (failure == null) {
                    s.done().complete(null);
                } else {
                    s.done().completeExceptionally(failure);
                }
            }
        }
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        if (!thread.isAlive()) {
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        queue.add(new Stop(done));
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.log(Level.WARNING, "closing the spend ledger", e.getCause());
        }
    }
}
