package dev.tollgate.providers.upstream;

import dev.tollgate.policy.Provider;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A small HTTP/1.1 client for provider calls: pooled keep-alive connections, one blocking exchange
 * per virtual thread, TCP_NODELAY, timeouts enforced by a {@link Watchdog}. Written for the hot path:
 * a general-purpose client (Helidon's WebClient) starts a watcher thread per pooled connection
 * after every request, which cost a third of the gateway's CPU per request in `make bench`.
 */
public final class UpstreamClient {

    private final ConnectionPool pool = new ConnectionPool();
    private final Watchdog watchdog = new Watchdog();

    /** Sends a POST and returns once the response head arrived; the body is read from the response. */
    public UpstreamResponse send(UpstreamRequest request, Provider.Timeouts timeouts) throws UpstreamException {
        Origin origin = Origin.of(request.uri());
        byte[] head = head(request, origin);
        Connection connection = null;
        try {
            connection = pool.acquire(origin, timeouts.connect());
            try {
                return exchange(connection, head, request.body(), timeouts);
            } catch (EOFException | SocketException stale) {
                if (!connection.reused || connection.timedOut) {
                    throw stale;
                }
                // A pooled connection the server had already closed: the request never reached it.
                connection.close();
                connection = pool.open(origin, timeouts.connect());
                return exchange(connection, head, request.body(), timeouts);
            }
        } catch (IOException e) {
            if (connection != null) {
                watchdog.unwatch(connection);
                connection.close();
            }
            throw classify(request.uri(), e, connection != null && connection.timedOut);
        }
    }

    private UpstreamResponse exchange(Connection connection, byte[] head, byte[] body, Provider.Timeouts timeouts) throws IOException {
        connection.endBy = System.nanoTime() + timeouts.total().toNanos();
        watchdog.watch(connection, Math.min(timeouts.firstByte().toNanos(), timeouts.total().toNanos()));
        OutputStream out = connection.out;
        out.write(head);
        out.write(body);
        out.flush();
        ResponseHead response = ResponseHead.read(connection.in);
        long idleNanos = timeouts.idle().toNanos();
        connection.deadline = connection.deadlineAfter(idleNanos);
        ResponseBody.Framing framing = response.chunked() ? ResponseBody.Framing.CHUNKED
                : response.contentLength() >= 0 ? ResponseBody.Framing.LENGTH : ResponseBody.Framing.UNTIL_CLOSE;
        return new UpstreamResponse(response, connection, framing, idleNanos, this);
    }

    /** Called by a response when its exchange is over. */
    void finished(Connection connection, boolean reusable) {
        watchdog.unwatch(connection);
        if (reusable && !connection.timedOut) {
            pool.release(connection);
        } else {
            connection.close();
        }
    }

    private static byte[] head(UpstreamRequest request, Origin origin) {
        URI uri = request.uri();
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder(256 + request.headers().size() * 48);
        head.append("POST ").append(target).append(" HTTP/1.1\r\nhost: ").append(origin.hostHeader())
                .append("\r\ncontent-length: ").append(request.body().length).append("\r\n");
        for (Map.Entry<String, String> h : request.headers().entrySet()) {
            String name = h.getKey();
            if (name.equalsIgnoreCase("host") || name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")
                    || name.equalsIgnoreCase("connection")) {
                continue;
            }
            head.append(name).append(": ").append(noLineBreaks(h.getValue())).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Header values come from clients and policy files; a line break would let them smuggle headers. */
    private static String noLineBreaks(String value) {
        return value.indexOf('\r') < 0 && value.indexOf('\n') < 0 ? value : value.replace("\r", " ").replace("\n", " ");
    }

    private static UpstreamException classify(URI uri, IOException e, boolean timedOut) {
        String where = uri.getScheme() + "://" + uri.getAuthority();
        if (timedOut || e instanceof SocketTimeoutException) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from " + where + " in time", e);
        }
        if (e instanceof ConnectException || e instanceof UnknownHostException) {
            return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to " + where + ": " + e.getMessage(), e);
        }
        return new UpstreamException(UpstreamException.Kind.RESET, "connection to " + where + " failed: " + e.getMessage(), e);
    }
}
