package dev.tollgate.server.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What has been folded: the reservations still open (and which of them {@code open_reservation}
 * holds), the next id, the last journal file folded. Owned by whoever holds the fold lock.
 */
final class LedgerFold {
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

    private LedgerFold(Connection c) throws SQLException {
        deleteOpen = c.prepareStatement("DELETE FROM open_reservation WHERE id=?");
        insertOpen = c.prepareStatement("INSERT OR IGNORE INTO open_reservation VALUES (?,?,?,?,?,?,?,?)");
        addDay = c.prepareStatement("INSERT INTO spend_day(" + LedgerSchema.DAY_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                + " ON CONFLICT(key_id, team_id, customer_id, model, day) DO UPDATE SET requests=requests+excluded.requests,"
                + " cost_nanos=cost_nanos+excluded.cost_nanos, input_tokens=input_tokens+excluded.input_tokens,"
                + " output_tokens=output_tokens+excluded.output_tokens, cached_tokens=cached_tokens+excluded.cached_tokens,"
                + " cache_write_tokens=cache_write_tokens+excluded.cache_write_tokens,"
                + " reasoning_tokens=reasoning_tokens+excluded.reasoning_tokens, estimated=estimated+excluded.estimated,"
                + " recovered=recovered+excluded.recovered");
        insertOwed = c.prepareStatement("INSERT OR REPLACE INTO owed(" + LedgerSchema.OWED_COLUMNS + ") VALUES (" + "?,".repeat(14) + "?)");
        setMeta = c.prepareStatement("INSERT OR REPLACE INTO ledger_meta VALUES ('next_id', ?), ('folded_seq', ?), ('folded_offset', ?)");
    }

    void close() throws SQLException {
        for (PreparedStatement st : List.of(deleteOpen, insertOpen, addDay, insertOwed, setMeta)) {
            st.close();
        }
    }

    static LedgerFold load(Connection c) throws SQLException {
        LedgerFold f = new LedgerFold(c);
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
        Map<DayTotals.Account, DayTotals> days = new HashMap<>();
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
                days.merge(DayTotals.Account.of(r.reservation()), DayTotals.of(r), DayTotals::plus);
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
        Map<DayTotals.Account, DayTotals> days = new HashMap<>();
        List<Journal.Row> owedRows = new ArrayList<>();
        for (Journal.Row r : reservations) {
            days.merge(DayTotals.Account.of(r.reservation()), DayTotals.recovered(r), DayTotals::plus);
            if (owe) {
                owedRows.add(r.recovered(true));
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

    private void addDays(Map<DayTotals.Account, DayTotals> days) throws SQLException {
        for (Map.Entry<DayTotals.Account, DayTotals> e : days.entrySet()) {
            DayTotals.Account k = e.getKey();
            DayTotals t = e.getValue();
            addDay.setString(1, k.keyId());
            addDay.setString(2, k.teamId());
            addDay.setString(3, k.customerId());
            addDay.setString(4, k.model());
            addDay.setLong(5, k.day());
            addDay.setLong(6, t.requests());
            addDay.setLong(7, t.costNanos());
            addDay.setLong(8, t.inputTokens());
            addDay.setLong(9, t.outputTokens());
            addDay.setLong(10, t.cachedTokens());
            addDay.setLong(11, t.cacheWriteTokens());
            addDay.setLong(12, t.reasoningTokens());
            addDay.setLong(13, t.estimated());
            addDay.setLong(14, t.recovered());
            addDay.executeUpdate();
        }
    }

    private void insertOpen(Journal.Row row) throws SQLException {
        PreparedStatement st = insertOpen;
        reservation(st, row.reservation());
        st.executeUpdate();
    }

    /** The eight reservation columns every table here starts with. */
    private static void reservation(PreparedStatement st, Reservation r) throws SQLException {
        st.setLong(1, r.id());
        st.setLong(2, r.atMillis());
        st.setLong(3, r.day());
        st.setString(4, r.keyId());
        st.setString(5, r.teamId());
        st.setString(6, r.customerId());
        st.setString(7, r.model());
        st.setLong(8, r.nanos());
    }

    private void insertOwed(List<Journal.Row> rows) throws SQLException {
        PreparedStatement st = insertOwed;
        for (Journal.Row r : rows) {
            reservation(st, r.reservation());
            Charge c = r.charge();
            st.setLong(9, c.nanos());
            st.setLong(10, c.usage().inputTokens());
            st.setLong(11, c.usage().outputTokens());
            st.setLong(12, c.usage().cachedInputTokens());
            st.setLong(13, c.usage().cacheWriteTokens());
            st.setLong(14, c.usage().reasoningTokens());
            st.setInt(15, c.estimated() ? 1 : 0);
            st.executeUpdate();
        }
    }
}
