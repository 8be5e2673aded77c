package dev.tollgate.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.server.trace.RequestRecord;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestLogTest {

    static RequestRecord record(String id, Instant time, String team, int status) {
        return new RequestRecord(id, time, "k-" + team, team, "c", "openai", "chat.completions", "curl/8", "fast", "up", "m",
                List.of(new RequestRecord.Attempt("up", "m", "ok", 3.5)), status, status >= 400 ? "upstream_failed" : null, false,
                10, 5, 2, 0, 1, new BigDecimal("0.0001"), 7.5, 4.0, 3.5, "abc123", null, null);
    }

    private static void awaitWritten(RequestLog log, long n) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (log.written() < n) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("only " + log.written() + " of " + n + " written");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void attemptsAreWrittenAsJsonThatReadsBack() throws Exception {
        List<RequestRecord.Attempt> attempts = List.of(new RequestRecord.Attempt("up", "m \"quoted\" \u00e9\n", "timed_out", 12.25),
                new RequestRecord.Attempt("other", null, "answered", 0.5));
        List<RequestRecord.Attempt> back = new com.fasterxml.jackson.databind.ObjectMapper().readValue(RequestRows.attemptsJson(attempts),
                new com.fasterxml.jackson.core.type.TypeReference<List<RequestRecord.Attempt>>() { });
        assertEquals(attempts, back);
        assertEquals("[]", RequestRows.attemptsJson(List.of()));
        assertEquals("[{\"provider\":\"up\",\"model\":\"m\",\"outcome\":\"answered\",\"millis\":3.007}]",
                RequestRows.attemptsJson(List.of(new RequestRecord.Attempt("up", "m", "answered", 3.0071))), "to the microsecond");
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfWaiting(@TempDir Path dir) throws Exception {
        RequestLog log = RequestLog.openStopped(dir.resolve("requests.db"), 2, Duration.ZERO);
        try {
            Instant now = Instant.now();
            assertTrue(log.offer(record("a", now, "t1", 200)));
            assertTrue(log.offer(record("b", now, "t1", 200)));
            assertFalse(log.offer(record("c", now, "t1", 200)), "the writer is not draining: the third does not fit");
            assertEquals(1, log.dropped());
            log.start();
            awaitWritten(log, 2);
            List<RequestRecord> rows = log.search(new RequestLog.Query(null, null, null, null, null, null, 10));
            assertEquals(List.of("a", "b"), rows.stream().map(RequestRecord::id).sorted().toList());
            RequestRecord a = rows.stream().filter(r -> r.id().equals("a")).findFirst().orElseThrow();
            assertEquals(record("a", a.time(), "t1", 200), a, "every field survives the round trip");
        } finally {
            log.close();
        }
    }

    @Test
    void everyTextFieldIsStoredCutToABoundedLength(@TempDir Path dir) throws Exception {
        String huge = "m".repeat(10 << 20); // a 10 MiB model name, as sent without a key in the report
        String emoji = "x".repeat(200) + "\uD83D\uDE00".repeat(100);
        RequestLog log = RequestLog.open(dir.resolve("requests.db"), 100, Duration.ZERO);
        try {
            log.offer(new RequestRecord("big", Instant.now(), huge, huge, huge, "openai", huge, huge, huge, huge, huge,
                    List.of(new RequestRecord.Attempt(huge, huge, huge, 1.0)), 404, huge, false, 0, 0, 0, 0, 0, null, 1.0, null, 0.0,
                    huge, huge, null));
            log.offer(record("emoji", Instant.now(), emoji, 200));
            awaitWritten(log, 2);
            RequestRecord back = log.byId("big").orElseThrow();
            for (String field : List.of(back.keyId(), back.team(), back.customer(), back.api(), back.client(), back.requestedModel(),
                    back.provider(), back.model(), back.errorType(), back.policyCommit(), back.traceId(),
                    back.attempts().getFirst().provider(), back.attempts().getFirst().model(), back.attempts().getFirst().outcome())) {
                assertTrue(field.length() <= RequestRecord.MAX_TEXT, field.length() + " chars kept");
                assertTrue(field.endsWith("...[cut: " + huge.length() + " chars]"), "says it was cut, and from what: " + field.substring(200));
            }
            assertTrue(java.nio.file.Files.size(dir.resolve("requests.db")) + java.nio.file.Files.size(dir.resolve("requests.db-wal")) < 2 << 20,
                    "the file did not grow by the names sent");
            String team = log.byId("emoji").orElseThrow().team();
            assertTrue(team.length() <= RequestRecord.MAX_TEXT);
            assertFalse(Character.isHighSurrogate(team.charAt(team.indexOf("...[cut") - 1)), "never half a character");
        } finally {
            log.close();
        }
    }

    @Test
    void searchFiltersAndRetention(@TempDir Path dir) throws Exception {
        RequestLog log = RequestLog.open(dir.resolve("requests.db"), 100, Duration.ZERO);
        try {
            Instant now = Instant.now();
            log.offer(record("old", now.minus(Duration.ofDays(40)), "t1", 200));
            log.offer(record("x", now.minusSeconds(60), "t1", 503));
            log.offer(record("y", now, "t2", 200));
            awaitWritten(log, 3);
            assertEquals(List.of("y", "x"), ids(log, new RequestLog.Query(null, null, null, null, now.minusSeconds(3600), null, 10)));
            assertEquals(List.of("x"), ids(log, new RequestLog.Query(null, null, null, "5xx", null, null, 10)));
            assertEquals(List.of("x"), ids(log, new RequestLog.Query(null, null, null, "503", null, null, 10)));
            assertEquals(List.of("y"), ids(log, new RequestLog.Query("k-t2", null, null, null, null, null, 10)));
            assertEquals(List.of("x", "old"), ids(log, new RequestLog.Query(null, "t1", "fast", null, null, null, 10)));
            assertEquals(1, log.pruneBefore(now.minus(Duration.ofDays(30))), "only the 40-day-old record goes");
            assertEquals(List.of("y", "x"), ids(log, new RequestLog.Query(null, null, null, null, null, null, 10)));
        } finally {
            log.close();
        }
    }

    @Test
    void theWriterDeletesRecordsOlderThanTheRetention(@TempDir Path dir) throws Exception {
        RequestLog log = RequestLog.open(dir.resolve("requests.db"), 100, Duration.ofDays(30));
        try {
            Instant now = Instant.now();
            log.offer(record("old", now.minus(Duration.ofDays(31)), "t1", 200));
            log.offer(record("new", now, "t1", 200));
            awaitWritten(log, 2);
            Instant deadline = Instant.now().plusSeconds(20);
            while (!ids(log, new RequestLog.Query(null, null, null, null, null, null, 10)).equals(List.of("new"))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("the 31-day-old record is still there");
                }
                Thread.sleep(20);
            }
        } finally {
            log.close();
        }
    }

    private static List<String> ids(RequestLog log, RequestLog.Query q) throws Exception {
        return log.search(q).stream().map(RequestRecord::id).toList();
    }
}
