package dev.tollgate.server.ledger;

import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.Spend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The ledger: a SQLite file (WAL) in the state directory, fed through a {@link Journal}. A settle
 * copies its row into the journal's mapped file and returns: it is durable then (in the OS, which
 * a killed process cannot lose; on the disk too with {@code TOLLGATE_LEDGER_SYNC=full}). A
 * reservation rides the next settle's append (the ledger's thread writes leftovers every 25 ms), so a process
 * killed mid-request may lose a reservation younger than 25 ms, never the spend of an answer whose
 * last bytes were sent.
 *
 * <p>Every 250 ms while spend arrives, and once when it stops, the rows journaled since are folded
 * into SQLite in one transaction:
 * <ul>
 *   <li>{@code spend_day}: settled spend summed per account chain, model and UTC day, which is all
 *   that budgets and usage reports read. Per-request detail is the request log's job: a row per
 *   request here would be SQLite work on every request.</li>
 *   <li>{@code open_reservation}: reservations still unsettled when a fold ends (requests in
 *   flight), so that a crash charges them at start.</li>
 *   <li>{@code owed}: settles the shared store could not book, one row each, until replayed.</li>
 *   <li>{@code ledger_meta}: the next reservation id, and the journal file and byte offset folded
 *   up to, so that no row is counted twice after a crash.</li>
 * </ul>
 * Reads (usage reports, recovery, the shared store's replay) fold the journal first, so they see
 * every settled row. The ledger's thread ticks only while spend arrives; an idle gateway leaves it parked.
 */
public final class SqliteLedger implements Ledger {

    private static final Logger LOG = Logger.getLogger(SqliteLedger.class.getName());
    /** How often the ledger's thread writes leftover reservations while spend arrives. */
    private static final long TICK_MILLIS = 25;
    /**
     * How often it folds the journal into SQLite meanwhile (and once more when spend stops arriving).
     * A fold sums its rows per account chain and day, so its transaction is a few upserts whether it
     * holds 50 rows or 500, and folding less often saves each fold's cold start.
     */
    private static final long FOLD_MILLIS = 250;
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;
    private final String url;
    private final Connection writer;
    private final Journal journal;
    private final ConcurrentLinkedQueue<Reservation> pending = new ConcurrentLinkedQueue<>();
    private final AtomicLong ids;
    private final Thread background;
    /** Spend arrived since the thread's last tick. */
    private final AtomicBoolean due = new AtomicBoolean();
    private volatile boolean stopping;
    /** Serializes folds, the writer connection and the fold state below. */
    private final ReentrantLock foldLock = new ReentrantLock();
    private final LedgerFold state;
    /** Journal batches a failed fold could not put into SQLite; tried again first. */
    private final List<Journal.Batch> unfolded = new ArrayList<>();
    /** Reservations a crash left unsettled, found at open; {@link #recover} charges them. */
    private List<Journal.Row> crashed;
    private long lastCheckpoint = System.nanoTime();
    private volatile boolean closed;

    private SqliteLedger(String url, Connection writer, Journal journal, LedgerFold state, List<Journal.Row> crashed) {
        this.url = url;
        this.writer = writer;
        this.journal = journal;
        this.state = state;
        this.crashed = crashed;
        this.ids = new AtomicLong(state.nextId);
        this.background = Thread.ofPlatform().name("tollgate-ledger").daemon(true).start(this::run);
    }

    /**
     * Every tick while spend arrives: writes leftover reservations and faults in the journal's next
     * pages; folds every FOLD_MILLIS. After a tick without spend: folds, then parks.
     */
    private void run() {
        long lastFold = System.nanoTime();
        while (!stopping) {
            if (!due.getAndSet(false)) {
                foldQuietly();
                lastFold = System.nanoTime();
                LockSupport.park(this);
                continue;
            }
            // The whole tick (arrived() unparks early); stopping is a flag, not an interrupt,
            // because an interrupt inside a journal write would close its channel.
            long end = System.nanoTime() + TICK_MILLIS * 1_000_000;
            for (long left = TICK_MILLIS * 1_000_000; left > 0 && !stopping; left = end - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
            if (stopping) {
                return;
            }
            flushReservations();
            journal.touch();
            if (System.nanoTime() - lastFold >= FOLD_MILLIS * 1_000_000) {
                foldQuietly();
                lastFold = System.nanoTime();
            }
        }
    }

    /** Wakes the ledger's thread if it is parked; one atomic read on a busy ledger. */
    private void arrived() {
        if (!due.get() && !due.getAndSet(true)) {
            LockSupport.unpark(background);
        }
    }

    public static SqliteLedger open(Path stateDir, boolean fsyncEveryCommit) {
        try {
            Files.createDirectories(stateDir);
            // No generated-keys lookup: the driver would run a regex over the SQL on every insert.
            String url = "jdbc:sqlite:" + stateDir.resolve("spend.db").toAbsolutePath() + "?jdbc.get_generated_keys=false";
            Connection c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=" + (fsyncEveryCommit ? "FULL" : "NORMAL"));
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA wal_autocheckpoint=0");
                LedgerSchema.create(s);
            }
            c.setAutoCommit(false);
            LedgerSchema.carryOverPerRequestRows(c);
            LedgerFold state = LedgerFold.load(c);
            foldLeftovers(stateDir, c, state);
            c.commit();
            List<Journal.Row> crashed = new ArrayList<>(state.open.values());
            return new SqliteLedger(url, c, Journal.open(stateDir, fsyncEveryCommit, state.foldedSeq), state, crashed);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the spend ledger in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /** Rows journaled before a crash (or a stop that could not fold them) go into SQLite first. */
    private static void foldLeftovers(Path stateDir, Connection c, LedgerFold state) throws SQLException, IOException {
        List<Path> files = Journal.leftover(stateDir);
        int rows = 0;
        for (Path f : files) {
            long seq = Journal.seqOf(f);
            if (seq >= state.foldedSeq) {
                List<Journal.Row> read = Journal.read(f, seq == state.foldedSeq ? state.foldedOffset : 0);
                state.fold(List.of(new Journal.Batch(f, read, Files.size(f), true)), true);
                rows += read.size();
            }
        }
        c.commit();
        for (Path f : files) {
            Files.delete(f);
        }
        if (!files.isEmpty()) {
            LOG.info("spend ledger: " + rows + " journaled rows from " + files.size() + " file(s) folded in at start");
        }
    }

    /** Writes reservations no settle has carried along yet, so a crash can charge them. */
    private void flushReservations() {
        if (pending.isEmpty()) {
            return;
        }
        try {
            journal.append(pending, null);
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "spend journal: reservations not written", e);
        }
    }

    private void foldQuietly() {
        try {
            fold();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "spend ledger: folding the journal into SQLite failed; retrying", e);
        }
    }

    /** Moves every row journaled so far into SQLite, then recycles the journal files they filled. */
    private void fold() {
        foldLock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                Journal.Batch batch = journal.take();
                if (!batch.rows().isEmpty()) {
                    unfolded.add(batch);
                }
            } catch (IOException e) {
                LOG.log(Level.SEVERE, "spend journal: cannot start a new file", e);
            }
            if (unfolded.isEmpty()) {
                return;
            }
            try {
                state.fold(unfolded, false);
                writer.commit();
            } catch (SQLException e) {
                rollback();
                throw new IllegalStateException("cannot write the spend ledger: " + e.getMessage(), e);
            }
            for (Journal.Batch b : unfolded) {
                try {
                    journal.recycle(b);
                } catch (IOException e) {
                    // Skipped at the next start: ledger_meta says it was folded.
                    LOG.log(Level.WARNING, "spend journal: cannot recycle " + b.file(), e);
                }
            }
            unfolded.clear();
            if (System.nanoTime() - lastCheckpoint >= CHECKPOINT_EVERY_NANOS) {
                checkpoint();
                lastCheckpoint = System.nanoTime();
            }
        } finally {
            foldLock.unlock();
        }
    }

    private void rollback() {
        try {
            writer.rollback();
        } catch (SQLException ignored) {
            // the next fold starts a fresh transaction
        }
    }

    /**
     * Copies the WAL back into the database file (auto-checkpoints are off, so a commit never pays for
     * one). On the writer's own connection, between transactions, and only after a fold that wrote
     * something: an idle gateway does no SQLite work at all.
     */
    private void checkpoint() {
        try {
            writer.setAutoCommit(true);
            try (Statement s = writer.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(PASSIVE)");
            } finally {
                writer.setAutoCommit(false);
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "ledger checkpoint skipped", e);
        }
    }

    @Override
    public long nextId() {
        return ids.getAndIncrement();
    }

    @Override
    public List<DailySpend> recover(boolean owe) {
        fold();
        foldLock.lock();
        try {
            List<Journal.Row> left = crashed;
            crashed = List.of();
            if (!left.isEmpty()) {
                try {
                    state.charge(left, owe);
                    writer.commit();
                } catch (SQLException e) {
                    rollback();
                    crashed = left;
                    throw new IllegalStateException("cannot write the spend ledger: " + e.getMessage(), e);
                }
                LOG.warning(left.size() + " reservations were never settled (the gateway stopped mid-request): charged at their reserved amount");
            }
        } finally {
            foldLock.unlock();
        }
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT key_id, team_id, customer_id, model, day, cost_nanos FROM spend_day")) {
            List<DailySpend> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new DailySpend(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6)));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the spend ledger: " + e.getMessage(), e);
        }
    }

    @Override
    public void reserved(Reservation reservation) {
        pending.add(reservation);
        arrived();
    }

    @Override
    public void settled(Reservation reservation, Charge charge, boolean owed) {
        try {
            // Reservations still unwritten ride along; this request's own is not needed, its settled row carries it.
            journal.append(pending, Journal.Row.settled(reservation, charge, System.currentTimeMillis(), owed));
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "spend of reservation " + reservation.id() + " could not be written", e);
        }
        arrived();
    }

    @Override
    public List<Owed> owed(int max) {
        fold();
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement(
                "SELECT " + LedgerSchema.OWED_COLUMNS + " FROM owed ORDER BY id LIMIT ?")) {
            st.setInt(1, max);
            List<Owed> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(new Owed(new Reservation(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getLong(8)), new Charge(rs.getLong(9), new Usage(rs.getLong(10),
                            rs.getLong(11), rs.getLong(12), rs.getLong(13), rs.getLong(14)), rs.getInt(15) == 1)));
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
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement("DELETE FROM owed WHERE id=?")) {
            c.setAutoCommit(false);
            for (long id : reservationIds) {
                st.setLong(1, id);
                st.addBatch();
            }
            st.executeBatch();
            c.commit();
        } catch (SQLException e) {
            // Booked in the shared store but still owed here: a replay finds its marker and books nothing twice.
            LOG.log(Level.WARNING, "could not mark " + reservationIds.size() + " replayed settlements as paid", e);
        }
    }

    @Override
    public List<UsageLine> usage(By by, long fromDay) {
        fold();
        Map<String, UsageLine> lines = new HashMap<>();
        String sql = "SELECT " + by.column + ", SUM(requests), SUM(cost_nanos), SUM(input_tokens), SUM(output_tokens)"
                + " FROM spend_day WHERE day >= ? GROUP BY 1";
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement(sql)) {
            st.setLong(1, fromDay);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    lines.put(name, new UsageLine(name, rs.getLong(2), rs.getLong(3), 0, rs.getLong(4), rs.getLong(5)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the spend ledger: " + e.getMessage(), e);
        }
        foldLock.lock();
        try {
            for (Journal.Row r : state.open.values()) {
                if (r.day() >= fromDay) {
                    String name = name(r.reservation(), by);
                    lines.merge(name, new UsageLine(name, 1, 0, r.reservedNanos(), 0, 0), UsageLine::plus);
                }
            }
        } finally {
            foldLock.unlock();
        }
        List<UsageLine> out = new ArrayList<>(lines.values());
        out.sort(Comparator.comparingLong(UsageLine::spentNanos).reversed().thenComparing(UsageLine::name));
        return out;
    }

    private static String name(Reservation r, By by) {
        return switch (by) {
            case KEY -> r.keyId();
            case TEAM -> r.teamId();
            case CUSTOMER -> r.customerId();
            case MODEL -> r.model();
        };
    }

    /** Writes what is journaled into SQLite, then closes both. */
    @Override
    public void close() {
        stopping = true;
        LockSupport.unpark(background);
        try {
            background.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushReservations();
        foldQuietly();
        foldLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            journal.close();
            state.close();
            writer.close();
        } catch (SQLException | IOException e) {
            LOG.log(Level.WARNING, "closing the spend ledger", e);
        } finally {
            foldLock.unlock();
        }
    }
}
