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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The ledger in a SQLite file (WAL) in the state directory, with group commit: a settle queues its
 * row and then whoever holds the write lock commits everything queued in one transaction, so under
 * load many requests share a commit while a lone request commits on its own thread, with no
 * hand-off to a writer thread and back. A settle returns once its row is committed. A reservation
 * is not committed on its own: it rides the next commit (a flusher commits leftovers every 50 ms),
 * and one settled before it was written becomes a single settled row. So a request costs one row and
 * at most one commit; a process killed mid-request may lose a reservation younger than 50 ms, never
 * the spend of an answer whose last bytes were sent.
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

    /** A settled request's row, and whether (and how) its commit went. */
    private static final class Settle {
        final Reservation r;
        final Charge c;
        final boolean owed;
        volatile boolean done;
        volatile SQLException failure;

        Settle(Reservation r, Charge c, boolean owed) {
            this.r = r;
            this.c = c;
            this.owed = owed;
        }
    }

    private final String url;
    private final Connection writer;
    private final java.util.concurrent.ConcurrentLinkedQueue<Settle> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.locks.ReentrantLock writeLock = new java.util.concurrent.locks.ReentrantLock();
    private final Map<Long, Reservation> unwritten = new HashMap<>();
    private PreparedStatement insert;
    private PreparedStatement update;
    private boolean closed;
    private final java.util.concurrent.ConcurrentLinkedQueue<Reservation> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.ScheduledExecutorService checkpointer;
    private final AtomicLong ids;

    private SqliteLedger(String url, Connection writer, long firstId) {
        this.url = url;
        this.writer = writer;
        this.ids = new AtomicLong(firstId);
        try {
            this.insert = writer.prepareStatement(
                    "INSERT INTO spend(id, at_ms, day, key_id, team_id, customer_id, model, status, reserved_nanos, cost_nanos, input_tokens,"
                            + " output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, estimated, settled_ms, owed)"
                            + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
            this.update = writer.prepareStatement(
                    "UPDATE spend SET status='settled', cost_nanos=?, input_tokens=?, output_tokens=?, cached_tokens=?, cache_write_tokens=?,"
                            + " reasoning_tokens=?, estimated=?, settled_ms=?, owed=? WHERE id=?");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the spend ledger's statements: " + e.getMessage(), e);
        }
        this.checkpointer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("tollgate-ledger-checkpoint").daemon(true).factory());
        checkpointer.scheduleWithFixedDelay(this::checkpoint, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        checkpointer.scheduleWithFixedDelay(this::flushReservations, 50, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Commits reservations no settle has carried along yet, so a crash can charge them. */
    private void flushReservations() {
        if (pending.isEmpty()) {
            return;
        }
        writeLock.lock();
        try {
            commitQueued();
        } finally {
            writeLock.unlock();
        }
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
            // No generated-keys lookup: the driver would run a regex over the SQL on every insert.
            String url = "jdbc:sqlite:" + stateDir.resolve("spend.db").toAbsolutePath() + "?jdbc.get_generated_keys=false";
            Connection c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                // Rows are ~150 bytes and every settle commits one: 1 KB pages make each commit's WAL
                // frames a quarter of the default 4 KB to write, checksum and checkpoint. (Only takes
                // effect on a new file.)
                s.execute("PRAGMA page_size=1024");
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
                // 1 = settled here but not yet booked in the shared store (Redis was unreachable): replayed later.
                boolean hasOwed;
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM pragma_table_info('spend') WHERE name='owed'")) {
                    hasOwed = rs.next() && rs.getInt(1) > 0;
                }
                if (!hasOwed) {
                    s.execute("ALTER TABLE spend ADD COLUMN owed INTEGER NOT NULL DEFAULT 0");
                }
                s.execute("CREATE INDEX IF NOT EXISTS spend_owed ON spend(owed) WHERE owed=1");
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
    public List<DailySpend> recover(boolean owe) {
        try (Connection c = DriverManager.getConnection(url)) {
            int recovered;
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE spend SET status='recovered', cost_nanos=reserved_nanos, settled_ms=?, owed=? WHERE status='reserved'")) {
                st.setLong(1, System.currentTimeMillis());
                st.setInt(2, owe ? 1 : 0);
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
    public void settled(Reservation reservation, Charge charge, boolean owed) {
        Settle settle = new Settle(reservation, charge, owed);
        queue.add(settle);
        // Let requests that are ready run up to their own settle first, so one commit carries them all.
        Thread.yield();
        // Whoever holds the lock commits what is queued; once it lets go, either this row went with
        // it or this thread commits it (and whatever queued meanwhile) itself.
        writeLock.lock();
        try {
            if (!settle.done) {
                commitQueued();
            }
        } finally {
            writeLock.unlock();
        }
        if (settle.failure != null) {
            LOG.log(Level.SEVERE, "spend of reservation " + reservation.id() + " could not be written", settle.failure);
        }
    }

    @Override
    public List<Owed> owed(int max) {
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement(
                "SELECT id, at_ms, day, key_id, team_id, customer_id, model, reserved_nanos, cost_nanos FROM spend WHERE owed=1 ORDER BY id LIMIT ?")) {
            st.setInt(1, max);
            List<Owed> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(new Owed(new Reservation(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getLong(8)), rs.getLong(9)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the spend ledger: " + e.getMessage(), e);
        }
    }

    @Override
    public void paid(List<Long> reservationIds) {
        if (reservationIds.isEmpty()) {
            return;
        }
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement("UPDATE spend SET owed=0 WHERE id=?")) {
            c.setAutoCommit(false);
            for (long id : reservationIds) {
                st.setLong(1, id);
                st.addBatch();
            }
            st.executeBatch();
            c.commit();
        } catch (SQLException e) {
            // Booked in the shared store but still marked owed here: a replay finds its marker and books nothing twice.
            LOG.log(Level.WARNING, "could not mark " + reservationIds.size() + " replayed settlements as paid", e);
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

    /** One group commit: every queued settle and every reservation not yet written. Holds the write lock. */
    private void commitQueued() {
        if (closed) {
            for (Settle st; (st = queue.poll()) != null; ) {
                st.failure = new SQLException("the ledger is closed");
                st.done = true;
            }
            return;
        }
        List<Settle> batch = new ArrayList<>();
        for (Settle st; batch.size() < MAX_BATCH && (st = queue.poll()) != null; ) {
            batch.add(st);
        }
        // After the settles: every reservation settled in this batch was added before its settle.
        for (Reservation r; (r = pending.poll()) != null; ) {
            unwritten.put(r.id(), r);
        }
        if (batch.isEmpty() && unwritten.isEmpty()) {
            return;
        }
        SQLException failure = null;
        try {
            long now = System.currentTimeMillis();
            for (Settle st : batch) {
                if (unwritten.remove(st.r.id()) != null) {
                    row(insert, st.r, "settled", st.c, now, st.owed);
                    insert.executeUpdate();
                } else {
                    var u = st.c.usage();
                    update.setLong(1, st.c.nanos());
                    update.setLong(2, u.inputTokens());
                    update.setLong(3, u.outputTokens());
                    update.setLong(4, u.cachedInputTokens());
                    update.setLong(5, u.cacheWriteTokens());
                    update.setLong(6, u.reasoningTokens());
                    update.setInt(7, st.c.estimated() ? 1 : 0);
                    update.setLong(8, now);
                    update.setInt(9, st.owed ? 1 : 0);
                    update.setLong(10, st.r.id());
                    update.executeUpdate();
                }
            }
            for (Reservation r : unwritten.values()) {
                row(insert, r, "reserved", null, now, false);
                insert.executeUpdate();
            }
            writer.commit();
        } catch (SQLException e) {
            failure = e;
            LOG.log(Level.SEVERE, "spend ledger commit failed; " + batch.size() + " settled requests not recorded", e);
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // the next commit starts a fresh transaction
            }
        }
        unwritten.clear();
        for (Settle st : batch) {
            st.failure = failure;
            st.done = true;
        }
    }

    private static void row(PreparedStatement insert, Reservation r, String status, Charge c, long now, boolean owed) throws SQLException {
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
        insert.setInt(18, owed ? 1 : 0);
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            commitQueued();
            closed = true;
            checkpointer.shutdownNow();
            insert.close();
            update.close();
            writer.close();
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "closing the spend ledger", e);
        } finally {
            writeLock.unlock();
        }
    }
}
