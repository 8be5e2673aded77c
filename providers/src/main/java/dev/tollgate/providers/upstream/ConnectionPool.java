package dev.tollgate.providers.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Keep-alive connections per origin, most recently used first so the warmest are reused. An idle
 * connection is not watched by a thread of its own; a stale one is detected when it is next used.
 */
final class ConnectionPool {

    private static final int MAX_IDLE_PER_ORIGIN = 256;
    private final Map<Origin, Idle> idle = new ConcurrentHashMap<>();
    private final EgressProxy proxy;
    private final TlsContexts tls;

    ConnectionPool(EgressProxy proxy, TlsContexts tls) {
        this.proxy = proxy;
        this.tls = tls;
    }

    /** One origin's idle connections, counted apart: a deque's own size() walks every node. */
    private static final class Idle {
        private final ConcurrentLinkedDeque<Connection> connections = new ConcurrentLinkedDeque<>();
        private final AtomicInteger count = new AtomicInteger();

        Connection poll() {
            Connection c = connections.pollFirst();
            if (c != null) {
                count.decrementAndGet();
            }
            return c;
        }

        /** False when the origin has its fill of idle connections already. */
        boolean offer(Connection c) {
            if (count.incrementAndGet() > MAX_IDLE_PER_ORIGIN) {
                count.decrementAndGet();
                return false;
            }
            connections.offerFirst(c);
            return true;
        }
    }

    /** A pooled connection if one is idle, else a new one. */
    Connection acquire(Origin origin, Duration connectTimeout) throws IOException {
        Idle queue = idle.get(origin);
        if (queue != null) {
            for (Connection c = queue.poll(); c != null; c = queue.poll()) {
                if (!c.socket.isClosed()) {
                    return c;
                }
            }
        }
        return open(origin, connectTimeout);
    }

    Connection open(Origin origin, Duration connectTimeout) throws IOException {
        SSLSocketFactory factory = null;
        if (origin.tls()) {
            try {
                factory = tls.factory(origin.security());
            } catch (IllegalArgumentException e) {
                throw new TlsSetupFailed(e.getMessage());
            }
        }
        Optional<EgressProxy.Endpoint> via = proxy.route(origin);
        Socket socket;
        if (via.isPresent()) {
            socket = proxy.tunnel(via.get(), origin, connectTimeout);
        } else {
            socket = new Socket();
        }
        try {
            if (via.isEmpty()) {
                socket.setTcpNoDelay(true); // without it every small request and SSE event waits ~40 ms for an ACK
                socket.setKeepAlive(true);
                socket.connect(new InetSocketAddress(origin.host(), origin.port()), (int) connectTimeout.toMillis());
            }
            if (!origin.tls()) {
                return new Connection(origin, socket);
            }
            SSLSocket tls = (SSLSocket) factory.createSocket(socket, origin.host(), origin.port(), true);
            SSLParameters params = tls.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(params);
            tls.setSoTimeout((int) connectTimeout.toMillis());
            tls.startHandshake();
            tls.setSoTimeout(0);
            return new Connection(origin, tls);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The provider's TLS files cannot be used (a bundle that does not parse, a key that is not the certificate's). */
    static final class TlsSetupFailed extends IOException {
        TlsSetupFailed(String message) {
            super(message);
        }
    }

    void release(Connection connection) {
        connection.reused = true;
        if (!idle.computeIfAbsent(connection.origin, o -> new Idle()).offer(connection)) {
            connection.close();
        }
    }
}
