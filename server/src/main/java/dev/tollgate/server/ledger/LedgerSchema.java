package dev.tollgate.server.ledger;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.logging.Logger;

/** The ledger's tables, and the one-time carry-over from the per-request layout of earlier versions. */
final class LedgerSchema {

    private static final Logger LOG = Logger.getLogger(LedgerSchema.class.getName());
    static final String DAY_COLUMNS = "key_id, team_id, customer_id, model, day, requests, cost_nanos, input_tokens,"
            + " output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, estimated, recovered";
    static final String OWED_COLUMNS = "id, at_ms, day, key_id, team_id, customer_id, model, reserved_nanos, cost_nanos,"
            + " input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, estimated";

    private LedgerSchema() {
    }

    static void create(Statement s) throws SQLException {
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
    static void carryOverPerRequestRows(Connection c) throws SQLException {
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
}
