package dev.tollgate.server.surface;

import dev.tollgate.server.errors.ClientFault;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one error handler of every route: whatever a handler threw is answered in the dialect of the
 * path. A failure the client caused ({@link ClientFault}) is a 400 that says what to fix; anything
 * else is a bug, a 500 and ONE log line: the request id, the exception's class and a few frames, never
 * its message (a parser's message may quote the request body).
 */
public final class Failures {

    private static final Logger LOG = Logger.getLogger(Failures.class.getName());
    private static final String REQUEST_ID = "x-tollgate-request-id";
    private static final int FRAMES = 6;

    private Failures() {
    }

    public static void register(HttpRouting.Builder routing) {
        routing.error(Throwable.class, Failures::handle);
    }

    static void handle(ServerRequest req, ServerResponse res, Throwable failure) {
        String path = req.path().path();
        var client = ClientFault.of(failure);
        if (client.isPresent()) {
            LOG.fine(() -> "client mistake on " + req.prologue().method().text() + " " + printable(path) + ": " + failure.getClass().getName());
            if (!res.isSent()) {
                // The connection's bytes are out of step with HTTP after a framing error: end it after the answer.
                res.header(HeaderValues.CONNECTION_CLOSE);
                Dialect.send(Dialect.ofPath(path), res, client.get());
            }
            return;
        }
        String id = requestId(res);
        LOG.log(Level.SEVERE, () -> "request " + id + " (" + req.prologue().method().text() + " " + printable(path) + ") failed: " + oneLine(failure));
        if (!res.isSent()) {
            Dialect.send(Dialect.ofPath(path), res, new GatewayError.Internal(id));
        }
    }

    /** The request's id as its answer carries it; one made up (and set on the answer) for routes without one. */
    private static String requestId(ServerResponse res) {
        var header = res.headers().first(HeaderNames.create(REQUEST_ID));
        if (header.isPresent()) {
            return header.get();
        }
        String id = "err_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        if (!res.isSent()) {
            res.header(REQUEST_ID, id);
        }
        return id;
    }

    /** {@code java.lang.IllegalStateException at a.B.c(B.java:12) < ...}, causes by class only, on one line. */
    static String oneLine(Throwable t) {
        StringBuilder line = new StringBuilder(t.getClass().getName());
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < Math.min(FRAMES, frames.length); i++) {
            line.append(i == 0 ? " at " : " < ").append(frames[i]);
        }
        Throwable c = t.getCause();
        for (int depth = 0; c != null && depth < 4; depth++, c = c.getCause()) {
            line.append("; caused by ").append(c.getClass().getName());
            if (c.getStackTrace().length > 0) {
                line.append(" at ").append(c.getStackTrace()[0]);
            }
        }
        return line.toString();
    }

    /** A path as a log may show it: printable ASCII, at most 200 characters. */
    static String printable(String path) {
        String p = path.length() > 200 ? path.substring(0, 200) + "..." : path;
        return p.replaceAll("[^\\x21-\\x7e]", "?");
    }
}
