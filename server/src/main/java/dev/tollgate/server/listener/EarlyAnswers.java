package dev.tollgate.server.listener;

import dev.tollgate.providers.Api;
import dev.tollgate.server.errors.ClientFault;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.util.Locale;

/**
 * Helidon's own answers to requests it refuses before any route runs (a head that is not HTTP, headers
 * too large or too many, control bytes in a header, a Content-Encoding, bad framing), in the dialect
 * of the path when the request line was read, else OpenAI's. Helidon's empty-bodied 400 leaves an SDK
 * nothing to show; this says what to fix.
 *
 * <p>Request bodies are not decoded: a {@code Content-Encoding} other than identity is refused with 415
 * rather than inflated, so the body limit always counts the bytes the gateway holds (no zip bombs).
 */
public final class EarlyAnswers implements DirectHandler {

    private EarlyAnswers() {
    }

    /** Every event type answered here. */
    public static DirectHandlers handlers() {
        EarlyAnswers answers = new EarlyAnswers();
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, answers);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders responseHeaders, String message) {
        Api dialect = Dialect.ofRawPath(request.path());
        GatewayError error = error(request, eventType, defaultStatus, message == null ? "" : message);
        responseHeaders.set(HeaderNames.CONTENT_TYPE, "application/json");
        return TransportResponse.builder()
                .status(Status.create(error.status()))
                .headers(responseHeaders)
                .entity(Dialect.body(dialect, error))
                .keepAlive(false)
                .build();
    }

    /**
     * Anything else Helidon refuses before routing is a head it could not parse (its parsers throw
     * IllegalArgumentException and the like, which it reports as an internal error): the client's.
     */
    static GatewayError error(TransportRequest request, EventType type, Status status, String message) {
        String m = message.toLowerCase(Locale.ROOT);
        String encoding = request.headers().first(HeaderNames.CONTENT_ENCODING).orElse("");
        if (!encoding.isEmpty() && !encoding.equalsIgnoreCase("identity") && (m.contains("encoding") || status.code() == 400)) {
            return new GatewayError.HttpRefused(415, "This gateway does not decode request bodies: Content-Encoding '"
                    + printable(encoding) + "' is not accepted. Send the body uncompressed (no Content-Encoding header).");
        }
        if (m.contains("header size") || m.contains("too many headers") || m.contains("header") && m.contains("exceed")
                || status.code() == 431) {
            return new GatewayError.HttpRefused(431, "The request's headers are too large or too many for this gateway: "
                    + "send fewer and shorter headers (the whole head must stay under the server's header size limit).");
        }
        if (status.code() == 414) {
            return UnreadableHeads.tooLong(0); // Helidon's HTTP/1.1 parser found no line end within its prologue limit
        }
        if (type == EventType.PAYLOAD_TOO_LARGE || status.code() == 413) {
            return new GatewayError.HttpRefused(413, "The request body is larger than this gateway accepts: send less context.");
        }
        if (type == EventType.HTTP_VERSION_NOT_SUPPORTED || status.code() == 505) {
            return new GatewayError.HttpRefused(505, "Only HTTP/1.1 (and HTTP/1.0) requests are served here: send HTTP/1.1.");
        }
        if (m.contains("chunk")) {
            return new GatewayError.BadRequest(ClientFault.CHUNKED, null);
        }
        if (status.code() == 503) {
            return new GatewayError.HttpRefused(503, "The gateway is at its limit of requests in flight; retry in a moment.");
        }
        if (status.code() == 403 || status.code() == 404 || status.code() == 405 || status.code() == 408 || status.code() == 429) {
            return new GatewayError.HttpRefused(status.code(), "The request was refused before routing (HTTP " + status.code() + ")"
                    + detail(message) + ".");
        }
        String where = request.path().isEmpty() ? "request line" : "headers";
        return new GatewayError.HttpRefused(400, "The request is not valid HTTP/1.1" + detail(message) + ": check its " + where
                + " (method, path and version on the first line; each header 'name: value' of visible characters, no control bytes; "
                + "CRLF line ends).");
    }

    /** Helidon's own short description when it has one, e.g. "Header value contains invalid character". */
    private static String detail(String message) {
        if (message.isBlank() || message.length() > 160 || message.startsWith("Bad request, see server log")
                || message.equals("Internal error")) { // what Helidon says when its parser threw: no help, and no 5xx here
            return "";
        }
        return " (" + printable(message) + ")";
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
