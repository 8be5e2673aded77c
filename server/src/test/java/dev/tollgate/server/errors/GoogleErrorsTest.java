package dev.tollgate.server.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Google's error shape, with the RetryInfo that makes Gemini CLI print a refusal's reason and wait as told. */
class GoogleErrorsTest {

    private static final Clock NOON = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void aBudgetThatResetsIsAQuotaWithTheTimeToItsReset() {
        GatewayError error = new GatewayError.BudgetExhausted("Monthly budget of key broke is spent.", LocalDate.parse("2026-12-01"));
        JsonNode e = GoogleErrors.body(error, NOON).path("error");
        assertEquals(429, GoogleErrors.status(error));
        assertEquals(429, e.path("code").asInt());
        assertEquals("RESOURCE_EXHAUSTED", e.path("status").asText());
        assertEquals("Monthly budget of key broke is spent.", e.path("message").asText());
        JsonNode info = e.path("details").get(0);
        assertEquals("type.googleapis.com/google.rpc.RetryInfo", info.path("@type").asText());
        assertEquals("43200s", info.path("retryDelay").asText(), "twelve hours to midnight UTC");
    }

    @Test
    void aTotalBudgetNeverResetsSoItIsAFailedPreconditionWithoutRetry() {
        GatewayError error = new GatewayError.BudgetExhausted("Total budget of key broke is spent.", null);
        JsonNode e = GoogleErrors.body(error, NOON).path("error");
        assertEquals(400, GoogleErrors.status(error));
        assertEquals("FAILED_PRECONDITION", e.path("status").asText());
        assertFalse(e.has("details"));
    }

    @Test
    void aRateLimitCarriesItsRetryAfterAsRetryInfo() {
        GatewayError error = new GatewayError.RateLimited("Rate limit reached.", Map.of("Retry-After", "17", "x-ratelimit-limit-requests", "1"));
        JsonNode e = GoogleErrors.body(error, NOON).path("error");
        assertEquals(429, e.path("code").asInt());
        assertEquals("17s", e.path("details").get(0).path("retryDelay").asText());
    }

    @Test
    void otherErrorsKeepTheirStatusAndHaveNoDetails() {
        JsonNode e = GoogleErrors.body(new GatewayError.BadRequest("no contents", "contents"), NOON).path("error");
        assertEquals(400, e.path("code").asInt());
        assertEquals("INVALID_ARGUMENT", e.path("status").asText());
        assertFalse(e.has("details"));
    }
}
