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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * A small HTTP/1.1 client for provider calls: pooled keep-alive connections, one blocking exchange
 * per virtual thread, TCP_NODELAY, timeouts enforced by a {@link Watchdog}. Written for the hot path:
 * a general-purpose client (Helidon's WebClient) starts a watcher thread per pooled connection
 * after every request, which cost a third of the gateway's CPU per request in `make bench`.
 */
public final class UpstreamClient {

    private final ConnectionPool pool;
    private final Watchdog watchdog = new Watchdog();

    /** Direct connections, the JDK's trusted CAs. */
    public UpstreamClient() {
        this(EgressProxy.NONE, List.of());
    }

    /**
     * @param proxy     the forward proxy to reach providers through
     * @param caBundles PEM files of CAs trusted for every provider besides the JDK's
     * @throws IllegalArgumentException naming a bundle that cannot be read or parsed
     */
    public UpstreamClient(EgressProxy proxy, List<Path> caBundles) {
        this.pool = new ConnectionPool(proxy, new TlsContexts(caBundles));
    }

    /** Sends a POST to a provider with its timeouts and TLS set-up; see {@link #send(UpstreamRequest, Provider.Timeouts)}. */
    public UpstreamResponse send(UpstreamRequest request, Provider provider) throws UpstreamException {
        return send(request, provider.timeouts(), provider.tls());
    }

    /** Sends a POST and returns once the response head arrived; the body is read from the response. */
    public UpstreamResponse send(UpstreamRequest request, Provider.Timeouts timeouts) throws UpstreamException {
        return send(request, timeouts, Provider.Tls.NONE);
    }

    private UpstreamResponse send(UpstreamRequest request, Provider.Timeouts timeouts, Provider.Tls security) throws UpstreamException {
        Origin origin = Origin.of(request.uri(), security);
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
            if (connection != null && !connection.reused && !(e instanceof SSLException) && TlsContexts.certificateWantedAndMissing(connection.socket)) {
                throw new UpstreamException(UpstreamException.Kind.REFUSED, "the TLS handshake with " + request.uri().getScheme() + "://"
                        + request.uri().getAuthority() + " failed: the upstream wants a client certificate and the gateway has none it"
                        + " accepts; set the provider's tls.client_cert and tls.client_key (" + e.getMessage() + ")", e);
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
        if (e instanceof EgressProxy.ProxyRefused || e instanceof ConnectionPool.TlsSetupFailed) {
            return new UpstreamException(UpstreamException.Kind.REFUSED, e.getMessage(), e);
        }
        if (e instanceof SSLException) {
            return new UpstreamException(UpstreamException.Kind.REFUSED, "the TLS handshake with " + where + " failed: " + TlsFailure.explain(e), e);
        }
        if (timedOut || e instanceof SocketTimeoutException) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from " + where + " in time", e);
        }
        if (e instanceof ConnectException || e instanceof UnknownHostException) {
            return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to " + where + ": " + e.getMessage(), e);
        }
        return new UpstreamException(UpstreamException.Kind.RESET, "connection to " + where + " failed: " + e.getMessage(), e);
    }
}
