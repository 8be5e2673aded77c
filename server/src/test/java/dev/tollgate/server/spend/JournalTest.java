package dev.tollgate.server.spend;

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
        for (Journal.Row row : List.of(settled, reserved)) {
            StringBuilder line = new StringBuilder();
            Journal.format(line, row);
            assertEquals(1, line.chars().filter(c -> c == '\n').count(), "one line per row: " + line);
            assertEquals(row, Journal.parse(line.substring(0, line.length() - 1)));
        }
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
}
