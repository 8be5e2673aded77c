package dev.tollgate.server.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.usage.Usage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

    private static final long DAY = 20_417;

    private static Reservation reservation(long id, String model, long nanos) {
        return new Reservation(id, 1_764_000_000_000L + id, DAY, "key-1", "team\twith tab", "cust\\omer", model, nanos);
    }

    @Test
    void rowsComeBackFieldForFieldThroughTheirLines() {
        Journal.Row settled = Journal.Row.settled(reservation(7, "gpt\nodd", 900), new Charge(1234, new Usage(10, 20, 3, 4, 5), true),
                1_764_000_000_500L, true);
        Journal.Row reserved = Journal.Row.reserved(reservation(8, "m", 55));
        Journal.Row unusual = Journal.Row.reserved(new Reservation(9, 1L, DAY, "k\u0000ey", "équipe", "客户", "m\\n", 0));
        for (Journal.Row row : List.of(settled, reserved, unusual)) {
            JournalLine.Bytes bytes = new JournalLine.Bytes();
            JournalLine.format(bytes, row);
            String line = bytes.toString();
            assertEquals(1, line.chars().filter(c -> c == '\n').count(), "one line per row: " + line);
            assertEquals(-1, line.indexOf('\0'), "no NUL: it marks the unwritten end of a file");
            assertEquals(row, JournalLine.parse(line.substring(0, line.length() - 1)));
        }
    }

    @Test
    void aLineTornByACrashBeforeTheUnwrittenEndOfTheFileIsNotARow(@TempDir Path dir) throws Exception {
        Journal journal = Journal.open(dir, false);
        journal.append(List.of(Journal.Row.reserved(reservation(1, "m", 10)), Journal.Row.reserved(reservation(2, "m", 20))));
        // No close: a killed process leaves the mapped file at its full size, zeros after the rows.
        Path file = Journal.leftover(dir).get(0);
        assertEquals(Journal.MAPPED_BYTES, Files.size(file));
        assertEquals(List.of(1L, 2L), Journal.read(file).stream().map(Journal.Row::id).toList());
        byte[] bytes = Files.readAllBytes(file);
        int end = 0;
        while (bytes[end] != 0) {
            end++;
        }
        byte[] torn = "3\t17640000".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(torn, 0, bytes, end, torn.length);
        Files.write(file, bytes);
        assertEquals(List.of(1L, 2L), Journal.read(file).stream().map(Journal.Row::id).toList());
        journal.close();
    }

    @Test
    void aFoldedFileIsEmptiedAndReusedForALaterOne(@TempDir Path dir) throws Exception {
        Journal journal = Journal.open(dir, false);
        Journal.Row big = Journal.Row.reserved(new Reservation(1, 1L, DAY, "k".repeat(1 << 20), "t", "c", "m", 10));
        for (int i = 0; i < 9; i++) {
            journal.append(List.of(big));
        }
        Journal.Batch first = journal.take();
        assertTrue(first.finished(), "past ROTATE_BYTES a take starts the next file");
        assertEquals(9, first.rows().size());
        journal.recycle(first);
        assertFalse(Files.exists(first.file()));
        journal.append(List.of(Journal.Row.reserved(reservation(2, "m", 20))));
        for (int i = 0; i < 9; i++) {
            journal.append(List.of(big));
        }
        Journal.Batch second = journal.take();
        assertEquals(first.seq() + 1, second.seq());
        assertTrue(second.finished());
        // the third file is the first one's, emptied: its old rows must not come back
        journal.append(List.of(Journal.Row.reserved(reservation(3, "m", 30))));
        Path third = Journal.leftover(dir).getLast();
        assertEquals(second.seq() + 1, Journal.seqOf(third));
        assertEquals(List.of(3L), Journal.read(third).stream().map(Journal.Row::id).toList());
        journal.close();
        assertEquals(List.of(3L), Journal.read(third).stream().map(Journal.Row::id).toList());
        assertTrue(Files.size(third) < 1_000, "a closed journal is cut to its rows");
    }

    @Test
    void aTornLastLineIsNotARow(@TempDir Path dir) throws Exception {
        Journal journal = Journal.open(dir, false);
        journal.append(List.of(Journal.Row.reserved(reservation(1, "m", 10)), Journal.Row.reserved(reservation(2, "m", 20))));
        journal.close();
        Path file = Journal.leftover(dir).get(0);
        Files.writeString(file, "3\t17640000", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertEquals(List.of(1L, 2L), Journal.read(file).stream().map(Journal.Row::id).toList());
    }

    @Test
    void rowsJournaledBeforeACrashAreInTheLedgerAfterTheNextStart(@TempDir Path dir) throws Exception {
        // A "crash": rows appended to the journal, never folded into SQLite, the process gone.
        SqliteLedger.open(dir, false).close();
        Journal journal = Journal.open(dir, false);
        journal.append(List.of(Journal.Row.reserved(reservation(1, "m", 500)), Journal.Row.reserved(reservation(2, "m", 700))));
        journal.append(List.of(Journal.Row.settled(reservation(1, "m", 500), new Charge(321, new Usage(1, 2, 0, 0, 0), false), 1L, false)));
        // the reservation written again after its settle (a late flush) must not undo the settle
        journal.append(List.of(Journal.Row.reserved(reservation(1, "m", 500))));
        assertFalse(Journal.leftover(dir).isEmpty());

        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            assertTrue(Journal.leftover(dir).size() <= 1, "folded files are deleted; at most the new journal remains");
            long charged = ledger.recover(false).stream().mapToLong(Ledger.DailySpend::nanos).sum();
            assertEquals(321 + 700, charged, "the settled cost, and the unsettled reservation at its reserved amount");
        }
    }

    @Test
    void aSettleIsInUsageReportsAtOnce(@TempDir Path dir) {
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            ledger.recover(false);
            Reservation r = new Reservation(ledger.nextId(), 1L, DAY, "k", "t", "c", "m", 1_000);
            ledger.reserved(r);
            ledger.settled(r, new Charge(600, new Usage(5, 6, 0, 0, 0), false), false);
            List<Ledger.UsageLine> lines = ledger.usage(Ledger.By.KEY, DAY);
            assertEquals(1, lines.size());
            assertEquals(600, lines.get(0).spentNanos());
            assertEquals(0, lines.get(0).inFlightNanos());
        }
    }
    @Test
    void aJournalFileFoldedBeforeACrashIsNotCountedTwice(@TempDir Path dir) throws Exception {
        Path kept = dir.resolve("kept");
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            ledger.recover(false);
            Reservation r = new Reservation(ledger.nextId(), 1L, DAY, "k", "t", "c", "m", 1_000);
            ledger.reserved(r);
            ledger.settled(r, new Charge(600, Usage.NONE, false), false);
            Path file = Journal.leftover(dir).getLast();
            Files.copy(file, kept);
            assertEquals(600, ledger.usage(Ledger.By.KEY, DAY).getFirst().spentNanos());
            Files.move(kept, file.resolveSibling(file.getFileName() + ".kept"));
        }
        // The process died after the fold committed and before it deleted the file: the file is back.
        Path back = Files.list(dir).filter(f -> f.getFileName().toString().endsWith(".kept")).findFirst().orElseThrow();
        Files.move(back, dir.resolve(back.getFileName().toString().replace(".kept", "")));
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            assertEquals(600, ledger.recover(false).stream().mapToLong(Ledger.DailySpend::nanos).sum());
            assertEquals(1, ledger.usage(Ledger.By.KEY, DAY).getFirst().requests());
        }
    }

    @Test
    void theLedgerGrowsWithAccountsAndDaysNotWithRequests(@TempDir Path dir) throws Exception {
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            ledger.recover(false);
            for (int i = 0; i < 200; i++) {
                Reservation r = new Reservation(ledger.nextId(), 1L, DAY + i % 2, "k", "t", "c", "m", 1_000);
                ledger.reserved(r);
                ledger.settled(r, new Charge(10, new Usage(3, 4, 0, 0, 0), false), false);
            }
            Ledger.UsageLine line = ledger.usage(Ledger.By.KEY, DAY).getFirst();
            assertEquals(200, line.requests());
            assertEquals(2_000, line.spentNanos());
            assertEquals(800, line.outputTokens());
        }
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("spend.db"));
             var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM spend_day")) {
            assertEquals(2, rs.getInt(1), "one row per account chain, model and day");
        }
    }

    @Test
    void aLedgerWithOneRowPerRequestIsCarriedOverWhole(@TempDir Path dir) throws Exception {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("spend.db")); var s = c.createStatement()) {
            s.execute("CREATE TABLE spend(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, day INTEGER NOT NULL, key_id TEXT NOT NULL,"
                    + " team_id TEXT NOT NULL, customer_id TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL,"
                    + " reserved_nanos INTEGER NOT NULL, cost_nanos INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,"
                    + " output_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,"
                    + " cache_write_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0,"
                    + " estimated INTEGER NOT NULL DEFAULT 0, settled_ms INTEGER, owed INTEGER NOT NULL DEFAULT 0)");
            s.execute("INSERT INTO spend VALUES (1, 1, " + DAY + ", 'k', 't', 'c', 'm', 'settled', 90, 70, 5, 6, 0, 0, 0, 0, 2, 0)");
            s.execute("INSERT INTO spend VALUES (2, 1, " + DAY + ", 'k', 't', 'c', 'm', 'settled', 90, 40, 1, 2, 0, 0, 0, 0, 2, 1)");
            s.execute("INSERT INTO spend VALUES (3, 1, " + DAY + ", 'k', 't', 'c', 'm', 'reserved', 300, 0, 0, 0, 0, 0, 0, 0, NULL, 0)");
        }
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            assertEquals(4, ledger.nextId(), "ids go on after the old table's");
            assertEquals(70 + 40 + 300, ledger.recover(false).stream().mapToLong(Ledger.DailySpend::nanos).sum(),
                    "settled costs, and the unsettled reservation at its amount");
            assertEquals(List.of(2L), ledger.owed(10).stream().map(o -> o.reservation().id()).toList());
            Ledger.UsageLine line = ledger.usage(Ledger.By.KEY, DAY).getFirst();
            assertEquals(3, line.requests());
            assertEquals(8, line.outputTokens());
        }
    }
    @Test
    void pendingReservationsAreWrittenAheadOfTheSettleThatCarriesThemButNotItsOwn(@TempDir Path dir) throws Exception {
        Journal journal = Journal.open(dir, false);
        var pending = new java.util.concurrent.ConcurrentLinkedQueue<>(List.of(reservation(1, "m", 10), reservation(2, "m", 20)));
        journal.append(pending, Journal.Row.settled(reservation(1, "m", 10), new Charge(7, Usage.NONE, false), 5L, false));
        journal.close();
        List<Journal.Row> rows = Journal.read(Journal.leftover(dir).getFirst());
        assertEquals(List.of("2 reserved", "1 settled"), rows.stream().map(r -> r.id() + " " + r.status()).toList());
        assertTrue(pending.isEmpty());
    }
    @Test
    void aRestartedLedgerJournalsIntoAFileNumberedAfterTheLastOneFolded(@TempDir Path dir) throws Exception {
        // Folds record (file, byte offset); a new file reusing a folded file's number would have its first rows skipped.
        long folded;
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            ledger.recover(false);
            Reservation r = new Reservation(ledger.nextId(), 1L, DAY, "k", "t", "c", "m", 1_000);
            ledger.reserved(r);
            ledger.settled(r, new Charge(100, Usage.NONE, false), false);
            folded = Journal.seqOf(Journal.leftover(dir).getLast());
            ledger.usage(Ledger.By.KEY, DAY);
        }
        assertEquals(List.of(), Journal.leftover(dir), "a clean stop leaves no journal file");
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            assertTrue(Journal.seqOf(Journal.leftover(dir).getLast()) > folded);
        }
    }
    @Test
    void theLedgersThreadParksWhenNoSpendArrives(@TempDir Path dir) throws Exception {
        try (SqliteLedger ledger = SqliteLedger.open(dir, false)) {
            ledger.recover(false);
            Reservation r = new Reservation(ledger.nextId(), 1L, DAY, "k", "t", "c", "m", 1_000);
            ledger.reserved(r);
            ledger.settled(r, new Charge(100, Usage.NONE, false), false);
            // Ticking, it waits with a timeout (TIMED_WAITING); idle, it parks without one (WAITING).
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("tollgate-ledger"))
                    .allMatch(t -> t.getState() == Thread.State.WAITING)) {
                assertTrue(System.nanoTime() < deadline, "the ledger's thread still ticks with no spend arriving");
                Thread.onSpinWait();
            }
            try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("spend.db"));
                 var rs = c.createStatement().executeQuery("SELECT SUM(cost_nanos) FROM spend_day")) {
                assertEquals(100, rs.getLong(1), "what arrived was folded before it parked");
            }
        }
    }
}
