package dev.tollgate.server.spend;

import dev.tollgate.providers.usage.Usage;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *   that budgets and usage reports read. Per-request detail is the request log's job; a row per
 *   request here cost the gateway ~10 µs of SQLite work per request.</li>
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
     * holds 50 rows or 500; on a 2-vCPU VM the ledger's thread cost ~6 µs a request at 2,000 req/s
     * folding every 25 ms, most of it each fold's cold start.
     */
    private static final long FOLD_MILLIS = 250;
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;
    private static final String DAY_COLUMNS = "key_id, team_id, customer_id, model, day, requests, cost_nanos, input_tokens,"
            + " output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, estimated, recovered";
    private static final String OWED_COLUMNS = "id, at_ms, day, key_id, team_id, customer_id, model, reserved_nanos, cost_nanos,"
            + " input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, estimated";

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
    private final Folded state;
    /** Journal batches a failed fold could not put into SQLite; tried again first. */
    private final List<Journal.Batch> unfolded = new ArrayList<>();
    /** Reservations a crash left unsettled, found at open; {@link #recover} charges them. */
    private List<Journal.Row> crashed;
    private long lastCheckpoint = System.nanoTime();
    private volatile boolean closed;

    private SqliteLedger(String url, Connection writer, Journal journal, Folded state, List<Journal.Row> crashed) {
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
                createSchema(s);
            }
            c.setAutoCommit(false);
            carryOverPerRequestRows(c);
            Folded state = Folded.load(c);
            foldLeftovers(stateDir, c, state);
            c.commit();
            List<Journal.Row> crashed = new ArrayList<>(state.open.values());
            return new SqliteLedger(url, c, Journal.open(stateDir, fsyncEveryCommit, state.foldedSeq), state, crashed);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the spend ledger in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    private static void createSchema(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS spend_day(
                  key_id TEXT NOT NULL, team_id TEXT NOT NULL, customer_id TEXT NOT NULL, model TEXT NOT NULL,
                  day INTEGER NOT NULL,                 -- UTC epoch day
                  requests INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,
                  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
                  cache_write_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
                  estimated INTEGER NOT NULL,           -- settles whose tokens were estimated (usage never reported)
                  recovered INTEGER NOT NULL,           -- reservations a crash left, charged at their amount
                  PRIMARY KEY(key_id, team_id, customer_id, model, day)) WITHOUT ROWID""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS open_reservation(
                  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, day INTEGER NOT NULL,
                  key_id TEXT NOT NULL, team_id TEXT NOT NULL, customer_id TEXT NOT NULL, model TEXT NOT NULL,
                  reserved_nanos INTEGER NOT NULL)""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS owed(
                  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, day INTEGER NOT NULL,
                  key_id TEXT NOT NULL, team_id TEXT NOT NULL, customer_id TEXT NOT NULL, model TEXT NOT NULL,
                  reserved_nanos INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,
                  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
                  cache_write_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, estimated INTEGER NOT NULL)""");
        s.execute("CREATE TABLE IF NOT EXISTS ledger_meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    }

    /** A ledger written by an earlier version (one {@code spend} row per request) is summed into the new tables, once. */
    private static void carryOverPerRequestRows(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='spend'")) {
                if (!rs.next() || rs.getInt(1) == 0) {
                    return;
                }
            }
            s.execute("INSERT INTO spend_day(" + DAY_COLUMNS + ") SELECT key_id, team_id, customer_id, model, day, COUNT(*),"
                    + " SUM(cost_nanos), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(cache_write_tokens),"
                    + " SUM(reasoning_tokens), SUM(estimated), SUM(status='recovered') FROM spend WHERE status<>'reserved' GROUP BY 1, 2, 3, 4, 5");
            s.execute("INSERT INTO open_reservation SELECT id, at_ms, day, key_id, team_id, customer_id, model, reserved_nanos"
                    + " FROM spend WHERE status='reserved'");
            s.execute("INSERT INTO owed(" + OWED_COLUMNS + ") SELECT " + OWED_COLUMNS + " FROM spend WHERE owed=1");
            s.execute("INSERT OR REPLACE INTO ledger_meta VALUES ('next_id', (SELECT COALESCE(MAX(id), 0) + 1 FROM spend))");
            s.execute("DROP TABLE spend");
        }
        c.commit();
        LOG.info("spend ledger: per-request rows of an earlier version summed per account, model and day");
    }

    /** Rows journaled before a crash (or a stop that could not fold them) go into SQLite first. */
    private static void foldLeftovers(Path stateDir, Connection c, Folded state) throws SQLException, IOException {
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

    /**
     * What has been folded: the reservations still open (and which of them {@code open_reservation}
     * holds), the next id, the last journal file folded. Owned by whoever holds the fold lock.
     */
    private static final class Folded {
        final Map<Long, Journal.Row> open = new LinkedHashMap<>();
        final Set<Long> stored = new HashSet<>();
        /**
         * Ids settled by the file folded before, while folding leftovers at start: journals written
         * before reservations were drained under the journal's lock can hold a reservation's line
         * after its settle's, which must not reopen it. Live folds never see one.
         */
        Set<Long> settledBefore = new HashSet<>();
        long nextId;
        long foldedSeq;
        long foldedOffset;
        private final PreparedStatement deleteOpen;
        private final PreparedStatement insertOpen;
        private final PreparedStatement addDay;
        private final PreparedStatement insertOwed;
        private final PreparedStatement setMeta;

        private Folded(Connection c) throws SQLException {
            deleteOpen = c.prepareStatement("DELETE FROM open_reservation WHERE id=?");
            insertOpen = c.prepareStatement("INSERT OR IGNORE INTO open_reservation VALUES (?,?,?,?,?,?,?,?)");
            addDay = c.prepareStatement("INSERT INTO spend_day(" + DAY_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    + " ON CONFLICT(key_id, team_id, customer_id, model, day) DO UPDATE SET requests=requests+excluded.requests,"
                    + " cost_nanos=cost_nanos+excluded.cost_nanos, input_tokens=input_tokens+excluded.input_tokens,"
                    + " output_tokens=output_tokens+excluded.output_tokens, cached_tokens=cached_tokens+excluded.cached_tokens,"
                    + " cache_write_tokens=cache_write_tokens+excluded.cache_write_tokens,"
                    + " reasoning_tokens=reasoning_tokens+excluded.reasoning_tokens, estimated=estimated+excluded.estimated,"
                    + " recovered=recovered+excluded.recovered");
            insertOwed = c.prepareStatement("INSERT OR REPLACE INTO owed(" + OWED_COLUMNS + ") VALUES (" + "?,".repeat(14) + "?)");
            setMeta = c.prepareStatement("INSERT OR REPLACE INTO ledger_meta VALUES ('next_id', ?), ('folded_seq', ?), ('folded_offset', ?)");
        }

        void close() throws SQLException {
            for (PreparedStatement st : List.of(deleteOpen, insertOpen, addDay, insertOwed, setMeta)) {
                st.close();
            }
        }

        static Folded load(Connection c) throws SQLException {
            Folded f = new Folded(c);
            try (Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT id, at_ms, day, key_id, team_id, customer_id, model, reserved_nanos FROM open_reservation")) {
                    while (rs.next()) {
                        Journal.Row row = Journal.Row.reserved(new Reservation(rs.getLong(1), rs.getLong(2), rs.getLong(3),
                                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getLong(8)));
                        f.open.put(row.id(), row);
                        f.stored.add(row.id());
                    }
                }
                f.nextId = Math.max(meta(s, "next_id"), 1);
                try (ResultSet rs = s.executeQuery("SELECT MAX(id) FROM (SELECT MAX(id) AS id FROM open_reservation UNION ALL SELECT MAX(id) FROM owed)")) {
                    if (rs.next()) {
                        f.nextId = Math.max(f.nextId, rs.getLong(1) + 1);
                    }
                }
                f.foldedSeq = meta(s, "folded_seq");
                f.foldedOffset = meta(s, "folded_offset");
            }
            return f;
        }

        private static long meta(Statement s, String name) throws SQLException {
            try (ResultSet rs = s.executeQuery("SELECT value FROM ledger_meta WHERE name='" + name + "'")) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }

        /**
         * Writes the batches into the current transaction (the caller commits). The in-memory state
         * changes only if every statement succeeded; on failure the caller rolls back and retries.
         */
        void fold(List<Journal.Batch> batches, boolean lateReservations) throws SQLException {
            Map<Long, Journal.Row> openAfter = new LinkedHashMap<>(open);
            Set<Long> settled = lateReservations ? new HashSet<>() : Set.of();
            Map<List<Object>, long[]> days = new HashMap<>();
            List<Journal.Row> owedRows = new ArrayList<>();
            List<Long> closedStored = new ArrayList<>();
            long maxId = nextId - 1;
            long seq = foldedSeq;
            long offset = foldedOffset;
            for (Journal.Batch b : batches) {
                for (Journal.Row r : b.rows()) {
                    maxId = Math.max(maxId, r.id());
                    if (!r.isSettled()) {
                        if (!lateReservations || !settled.contains(r.id()) && !settledBefore.contains(r.id())) {
                            openAfter.putIfAbsent(r.id(), r);
                        }
                        continue;
                    }
                    if (lateReservations) {
                        settled.add(r.id());
                    }
                    if (openAfter.remove(r.id()) != null && stored.contains(r.id())) {
                        closedStored.add(r.id());
                    }
                    long[] sum = days.computeIfAbsent(List.of(r.keyId(), r.teamId(), r.customerId(), r.model(), r.day()), k -> new long[9]);
                    add(sum, r.costNanos(), r.inputTokens(), r.outputTokens(), r.cachedTokens(), r.cacheWriteTokens(),
                            r.reasoningTokens(), r.estimated() ? 1 : 0, 0);
                    if (r.owed()) {
                        owedRows.add(r);
                    }
                }
                seq = b.seq();
                offset = b.end();
            }
            for (long id : closedStored) {
                deleteOpen.setLong(1, id);
                deleteOpen.executeUpdate();
            }
            List<Long> newlyStored = new ArrayList<>();
            for (Journal.Row r : openAfter.values()) {
                if (!stored.contains(r.id())) {
                    insertOpen(r);
                    newlyStored.add(r.id());
                }
            }
            addDays(days);
            insertOwed(owedRows);
            setMeta.setLong(1, maxId + 1);
            setMeta.setLong(2, seq);
            setMeta.setLong(3, offset);
            setMeta.executeUpdate();
            open.clear();
            open.putAll(openAfter);
            closedStored.forEach(stored::remove);
            stored.addAll(newlyStored);
            settledBefore = settled;
            nextId = maxId + 1;
            foldedSeq = seq;
            foldedOffset = offset;
        }

        /** Charges the given open reservations at their reserved amount (and owes them, if asked). */
        void charge(List<Journal.Row> reservations, boolean owe) throws SQLException {
            Map<List<Object>, long[]> days = new HashMap<>();
            List<Journal.Row> owedRows = new ArrayList<>();
            for (Journal.Row r : reservations) {
                add(days.computeIfAbsent(List.of(r.keyId(), r.teamId(), r.customerId(), r.model(), r.day()), k -> new long[9]),
                        r.reservedNanos(), 0, 0, 0, 0, 0, 0, 1);
                if (owe) {
                    owedRows.add(new Journal.Row(r.id(), r.atMillis(), r.day(), r.keyId(), r.teamId(), r.customerId(), r.model(),
                            "recovered", r.reservedNanos(), r.reservedNanos(), 0, 0, 0, 0, 0, false, 0, true));
                }
                deleteOpen.setLong(1, r.id());
                deleteOpen.executeUpdate();
            }
            addDays(days);
            insertOwed(owedRows);
            for (Journal.Row r : reservations) {
                open.remove(r.id());
                stored.remove(r.id());
            }
        }

        private static void add(long[] sum, long cost, long in, long out, long cached, long cacheWrite, long reasoning, long estimated,
                                long recovered) {
            sum[0]++;
            sum[1] += cost;
            sum[2] += in;
            sum[3] += out;
            sum[4] += cached;
            sum[5] += cacheWrite;
            sum[6] += reasoning;
            sum[7] += estimated;
            sum[8] += recovered;
        }

        private void addDays(Map<List<Object>, long[]> days) throws SQLException {
            for (Map.Entry<List<Object>, long[]> e : days.entrySet()) {
                List<Object> k = e.getKey();
                for (int i = 0; i < 4; i++) {
                    addDay.setString(i + 1, (String) k.get(i));
                }
                addDay.setLong(5, (Long) k.get(4));
                long[] v = e.getValue();
                for (int i = 0; i < v.length; i++) {
                    addDay.setLong(6 + i, v[i]);
                }
                addDay.executeUpdate();
            }
        }

        private void insertOpen(Journal.Row r) throws SQLException {
            PreparedStatement st = insertOpen;
            st.setLong(1, r.id());
            st.setLong(2, r.atMillis());
            st.setLong(3, r.day());
            st.setString(4, r.keyId());
            st.setString(5, r.teamId());
            st.setString(6, r.customerId());
            st.setString(7, r.model());
            st.setLong(8, r.reservedNanos());
            st.executeUpdate();
        }

        private void insertOwed(List<Journal.Row> rows) throws SQLException {
            PreparedStatement st = insertOwed;
            for (Journal.Row r : rows) {
                st.setLong(1, r.id());
                st.setLong(2, r.atMillis());
                st.setLong(3, r.day());
                st.setString(4, r.keyId());
                st.setString(5, r.teamId());
                st.setString(6, r.customerId());
                st.setString(7, r.model());
                st.setLong(8, r.reservedNanos());
                st.setLong(9, r.costNanos());
                st.setLong(10, r.inputTokens());
                st.setLong(11, r.outputTokens());
                st.setLong(12, r.cachedTokens());
                st.setLong(13, r.cacheWriteTokens());
                st.setLong(14, r.reasoningTokens());
                st.setInt(15, r.estimated() ? 1 : 0);
                st.executeUpdate();
            }
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
                "SELECT " + OWED_COLUMNS + " FROM owed ORDER BY id LIMIT ?")) {
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
        Map<String, long[]> lines = new HashMap<>();
        String sql = "SELECT " + by.column + ", SUM(requests), SUM(cost_nanos), SUM(input_tokens), SUM(output_tokens)"
                + " FROM spend_day WHERE day >= ? GROUP BY 1";
        try (Connection c = DriverManager.getConnection(url); PreparedStatement st = c.prepareStatement(sql)) {
            st.setLong(1, fromDay);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    lines.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), 0, rs.getLong(4), rs.getLong(5)});
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the spend ledger: " + e.getMessage(), e);
        }
        foldLock.lock();
        try {
            for (Journal.Row r : state.open.values()) {
                if (r.day() >= fromDay) {
                    long[] line = lines.computeIfAbsent(name(r, by), k -> new long[5]);
                    line[0]++;
                    line[2] += r.reservedNanos();
                }
            }
        } finally {
            foldLock.unlock();
        }
        List<UsageLine> out = new ArrayList<>(lines.size());
        lines.forEach((name, v) -> out.add(new UsageLine(name, v[0], v[1], v[2], v[3], v[4])));
        out.sort(Comparator.comparingLong(UsageLine::spentNanos).reversed().thenComparing(UsageLine::name));
        return out;
    }

    private static String name(Journal.Row r, By by) {
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
