package dev.tollgate.server.errors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

/**
 * Renders a {@link GatewayError} as Google's error JSON: {@code {"error":{code,message,status,details}}}.
 *
 * <p>Gemini CLI 0.61 in headless text mode ends every API error with "An unexpected critical error
 * occurred:[object Object]" (it throws a plain object), whatever the body; the reason is on the line
 * before, "Error when talking to Gemini API ...". There it prints the bare message for the errors it
 * classifies (404, and 429 as quota errors) and the raw JSON for the rest. So a 429 carries Google's
 * {@code google.rpc.RetryInfo}: the CLI then waits as told instead of its own backoff, and one with a
 * delay over five minutes is terminal for it (one request, not ten). A spent budget that resets is
 * therefore Google's own quota answer, 429 RESOURCE_EXHAUSTED with a RetryInfo up to the reset; one
 * that never resets is 400 FAILED_PRECONDITION, which the CLI does not retry either.
 */
public final class GoogleErrors {

    private static final String RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";

    private GoogleErrors() {
    }

    public static void send(ServerResponse res, GatewayError error) {
        send(res, error, Clock.systemUTC());
    }

    static void send(ServerResponse res, GatewayError error, Clock clock) {
        res.status(Status.create(status(error)));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        error.headers().forEach(res::header);
        if (error instanceof GatewayError.BudgetExhausted) {
            retryDelay(error, clock).ifPresent(d -> res.header(HeaderNames.RETRY_AFTER, Long.toString(d.toSeconds())));
        }
        res.send(JsonBody.utf8(body(error, clock).toString()));
    }

    public static ObjectNode body(GatewayError error) {
        return body(error, Clock.systemUTC());
    }

    static ObjectNode body(GatewayError error, Clock clock) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        int status = status(error);
        ObjectNode e = root.putObject("error").put("code", status).put("message", error.message()).put("status", statusName(error, status));
        retryDelay(error, clock).ifPresent(d -> e.putArray("details").addObject()
                .put("@type", RETRY_INFO).put("retryDelay", d.toSeconds() + "s"));
        return root;
    }

    /** The HTTP status in Google's dialect: the gateway's, but for a budget that resets (a quota, to Google). */
    static int status(GatewayError error) {
        return error instanceof GatewayError.BudgetExhausted b && b.resets() != null ? 429 : error.status();
    }

    private static String statusName(GatewayError error, int http) {
        if (error instanceof GatewayError.BudgetExhausted b && b.resets() == null) {
            return "FAILED_PRECONDITION"; // Google's name for "not in this state": the budget must be raised first
        }
        return status(http);
    }

    /** How long until a retry can succeed: a rate limit's Retry-After, or the time to a budget's reset. */
    static Optional<Duration> retryDelay(GatewayError error, Clock clock) {
        return switch (error) {
            case GatewayError.RateLimited r -> retryAfter(r.headers());
            case GatewayError.SessionPaused p -> retryAfter(p.headers());
            case GatewayError.BudgetExhausted b when b.resets() != null ->
                    Optional.of(Duration.between(clock.instant(), b.resets().atStartOfDay(ZoneOffset.UTC).toInstant()))
                            .map(d -> d.isNegative() || d.isZero() ? Duration.ofSeconds(1) : d.plusMillis(999).withNanos(0));
            default -> Optional.empty();
        };
    }

    private static Optional<Duration> retryAfter(Map<String, String> headers) {
        return headers.entrySet().stream().filter(h -> h.getKey().equalsIgnoreCase("retry-after"))
                .map(Map.Entry::getValue).filter(v -> v.matches("\\d{1,9}")).findFirst().map(v -> Duration.ofSeconds(Long.parseLong(v)));
    }

    /** Google's canonical status names follow the HTTP status. */
    static String status(int http) {
        return switch (http) {
            case 400, 413, 415, 431 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> "INTERNAL";
        };
    }
}
