package dev.tollgate.server.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueryParamsTest {

    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    @Test
    void spansAndTimesInRangeParse() throws Exception {
        assertEquals(NOW.minus(Duration.ofDays(7)), QueryParams.time("since", "7d", NOW));
        assertEquals(NOW.minus(Duration.ofSeconds(30)), QueryParams.time("since", "30s", NOW));
        assertEquals(Instant.parse("2026-11-24T10:00:00Z"), QueryParams.time("since", "2026-11-24T10:00:00Z", NOW));
        assertEquals(Duration.ofDays(3650), QueryParams.span("since", "3650d", "mhd"));
        assertEquals(1000, QueryParams.whole("limit", "1000", 1, 1000));
        assertEquals("4xx", QueryParams.status("status", "4XX"));
        assertEquals("error", QueryParams.status("status", "error"));
        assertEquals("429", QueryParams.status("status", "429"));
    }

    @Test
    void everythingElseIsInvalidWithAMessageSayingWhatIsAccepted() {
        for (String since : List.of("99999999999999d", "3651d", "-1d", "1w", "", "yesterday", "+999999999-01-01T00:00:00Z",
                "1969-12-31T23:59:59Z", "7d\n")) {
            var e = assertThrows(QueryParams.Invalid.class, () -> QueryParams.time("since", since, NOW), since);
            assertTrue(e.getMessage().startsWith("'since' must be"), e.getMessage());
        }
        assertThrows(QueryParams.Invalid.class, () -> QueryParams.span("since", "30s", "mhd"), "the dashboard counts in minutes");
        for (String limit : List.of("-1", "0", "1001", "abc", "99999999999999999999", "1e3", " 5")) {
            var e = assertThrows(QueryParams.Invalid.class, () -> QueryParams.whole("limit", limit, 1, 1000), limit);
            assertTrue(e.getMessage().contains("from 1 to 1000"), e.getMessage());
        }
        for (String status : List.of("bogus", "600", "6xx", "42", "4xxx", "x".repeat(10_000))) {
            var e = assertThrows(QueryParams.Invalid.class, () -> QueryParams.status("status", status), status);
            assertTrue(e.getMessage().length() < 200, "the value is not echoed whole: " + e.getMessage().length());
        }
    }
}
