package dev.tollgate.server.listener;

import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.settings.ConnectionSettings;
import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Every client connection the listener accepted, and what it is waiting for. Helidon 4.5 has no read
 * timeout on server connections (its idle sweep never interrupts a read of headers or a body), so:
 * <ul>
 *   <li>a connection waiting for a request head (new: {@code head} timeout from accept; kept alive:
 *       {@code idle} timeout from its last response) is closed by {@link #sweep()} when the time is up;</li>
 *   <li>from a complete head until its handler returns, the socket's read timeout is the {@code body}
 *       timeout: a read of the body (by a handler, or Helidon draining what a handler left) that gets no
 *       byte for that long fails, and the connection ends.</li>
 * </ul>
 * Helidon logs a connection that ends this way at TRACE only; closures are counted
 * ({@code tollgate_connections_closed_total{reason}}), never logged one by one.
 *
 * <p>An HTTP/2 connection ({@link Http2Listener}) is held to the same deadlines by stream: the head timeout
 * until its first request, the idle timeout while no stream is in flight, and the body timeout per stream
 * ({@link BodyWatch}); its socket never gets a read timeout, as a client waiting for a long answer sends nothing.
 */
public final class Connections {

    /** What a connection waits for: the phase decides which timeout holds it. */
    private enum Phase { HEAD, REQUEST, UPGRADED, H2 }

    /** Connection-specific header fields, which HTTP/2 forbids (RFC 9113 section 8.2.2); Helidon fails an answer with one. */
    private static final List<HeaderName> CONNECTION_SPECIFIC = List.of(HeaderNames.CONNECTION, HeaderNames.create("Keep-Alive"),
            HeaderNames.create("Proxy-Connection"), HeaderNames.TRANSFER_ENCODING, HeaderNames.UPGRADE);

    private static final class Conn {
        final SocketChannel channel;
        volatile Phase phase = Phase.HEAD;
        /** Nanos when the current wait for a head began. */
        volatile long since;
        volatile boolean servedOne;
        /** HTTP/2: streams in flight, and the bodies they are reading. */
        final AtomicInteger streams = new AtomicInteger();
        final Set<BodyWatch> reading = ConcurrentHashMap.newKeySet();

        Conn(SocketChannel channel, long now) {
            this.channel = channel;
            this.since = now;
        }
    }

    private final ConnectionSettings settings;
    private final LongSupplier nanos;
    private final Map<SocketAddress, Conn> open = new ConcurrentHashMap<>();
    private final AtomicLong headTimeouts = new AtomicLong();
    private final AtomicLong idleTimeouts = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong bodyTimeouts = new AtomicLong();
    /** HTTP/2 streams in flight beyond the first of their connection: each may hold an upstream connection too. */
    private final AtomicInteger extraStreams = new AtomicInteger();
    /** The largest request header section, in bytes; HTTP/2's is checked here, HTTP/1.1's by Helidon. */
    private volatile long maxHeaderBytes = Long.MAX_VALUE;
    /** Above this many open connections a new connection's first request is refused (a 503 that closes it). */
    private volatile int refuseAbove = Integer.MAX_VALUE;

    public Connections(ConnectionSettings settings) {
        this(settings, System::nanoTime);
    }

    Connections(ConnectionSettings settings, LongSupplier nanos) {
        this.settings = settings;
        this.nanos = nanos;
    }

    /** The listener's socket options: Helidon's, plus registering each accepted connection here. */
    public SocketOptions socketOptions(SocketOptions base) {
        return new Registering(base);
    }

    /** Sees each request head complete (runs on the connection's own thread). */
    public Http1ConnectionListener receiveListener() {
        return new Http1ConnectionListener() {
            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                Conn c = open.get(ctx.remotePeer().address());
                if (c == null) {
                    return;
                }
                if (headers.contains(HeaderNames.UPGRADE)) {
                    c.phase = Phase.UPGRADED; // a protocol of its own, with its own idea of silence
                    return;
                }
                c.phase = Phase.REQUEST;
                readTimeout(c, settings.bodyTimeout());
            }
        };
    }

    /**
     * A routing filter: once the handler has returned, the connection waits for its next head; an answer
     * that says {@code Connection: close} ends the connection (Helidon 4.5 says it but keeps reading).
     */
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (Http2Listener.isHttp2(req)) {
            stream(chain, req, res);
            return;
        }
        Conn conn = open.get(req.remotePeer().address());
        if (conn != null && conn.phase == Phase.UPGRADED) {
            // An Upgrade Helidon did not act on (h2c is not served that way): a plain HTTP/1.1 request after all,
            // held to the body timeout now and to the idle timeout after.
            conn.phase = Phase.REQUEST;
            readTimeout(conn, settings.bodyTimeout());
        }
        res.whenSent(() -> {
            if (res.headers().contains(HeaderValues.CONNECTION_CLOSE)) {
                Conn c = open.get(req.remotePeer().address());
                if (c != null) {
                    try {
                        // A FIN after the answer's last byte; a full close could reset it away while unread
                        // request bytes sit in the socket. Helidon closes once the client has.
                        c.channel.shutdownOutput();
                    } catch (IOException gone) {
                        // the client left first
                    }
                }
            }
        });
        if (overCap(req)) {
            // Short of the hard cap (where new connections wait unanswered in the OS backlog) the answer says so.
            refused.incrementAndGet();
            res.header(HeaderValues.CONNECTION_CLOSE);
            String path = req.path().path();
            Dialect.send(Dialect.ofPath(path), res, new GatewayError.Overloaded("The gateway has as many client connections open as "
                    + "it serves at once (" + refuseAbove + ", tollgate.connections.max); this one is closed. Retry in a moment, "
                    + "and reuse connections (keep-alive) rather than opening new ones."));
            return;
        }
        try {
            chain.proceed();
        } finally {
            Conn c = open.get(req.remotePeer().address());
            if (c != null && c.phase == Phase.REQUEST) {
                c.servedOne = true;
                c.since = nanos.getAsLong();
                c.phase = Phase.HEAD;
                // Not the body timeout while idle: the sweep's deadline holds it (the idle one may be longer).
                readTimeout(c, Duration.ZERO);
            }
        }
    }

    /**
     * One HTTP/2 stream: counted on its connection, its body watched (and what the handler left of it dropped
     * under the watch), its headers held to the limit and its body to identity encoding, the connection cap.
     */
    private void stream(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        res.beforeSend(() -> CONNECTION_SPECIFIC.forEach(res.headers()::remove));
        Conn c = open.get(req.remotePeer().address());
        if (c == null) {
            c = new Conn(null, nanos.getAsLong()); // not registered (cannot happen on the listener): guarded all the same
        }
        c.phase = Phase.H2;
        boolean extra = c.streams.getAndIncrement() > 0;
        if (extra) {
            extraStreams.incrementAndGet();
        }
        BodyWatch watch = new BodyWatch(nanos);
        c.reading.add(watch);
        try {
            GatewayError refusal = refusal(req, c, extra);
            if (refusal != null) {
                Dialect.send(Dialect.ofPath(req.path().path()), res, refusal);
            } else {
                req.context().register(watch);
                chain.proceed();
            }
            if (req.content().hasEntity() && !req.content().consumed()) {
                watch.drain(req.content());
            }
        } finally {
            c.reading.remove(watch);
            if (extra) {
                extraStreams.decrementAndGet();
            }
            c.servedOne = true;
            c.since = nanos.getAsLong(); // before the count drops: the sweep never sees an idle connection with an old time
            c.streams.decrementAndGet();
        }
    }

    /** Why an HTTP/2 stream is refused before its handler runs, or null. */
    private GatewayError refusal(RoutingRequest req, Conn c, boolean extra) {
        if (Http2Listener.fieldSectionSize(req) > maxHeaderBytes) {
            return new GatewayError.HttpRefused(431, "The request's headers are too large or too many for this gateway ("
                    + maxHeaderBytes + " bytes as HTTP/2 counts them): send fewer and shorter headers.");
        }
        String encoding = req.headers().first(HeaderNames.CONTENT_ENCODING).orElse("identity");
        if (!encoding.equalsIgnoreCase("identity")) {
            // As on HTTP/1.1 (EarlyAnswers): bodies are never inflated, so the body limit counts what is held.
            return new GatewayError.HttpRefused(415, "This gateway does not decode request bodies: Content-Encoding '"
                    + encoding.replaceAll("[^\\x20-\\x7e]", "?") + "' is not accepted. Send the body uncompressed (no "
                    + "Content-Encoding header).");
        }
        // Each stream beyond a connection's first may hold an upstream connection too: counted against the same cap.
        if ((extra || !c.servedOne) && open.size() + extraStreams.get() > refuseAbove && !req.path().path().startsWith("/health/")) {
            refused.incrementAndGet();
            return new GatewayError.Overloaded("The gateway has as many requests in flight as it holds connections for ("
                    + refuseAbove + ", tollgate.connections.max); this one is refused. Retry in a moment.");
        }
        return null;
    }

    /** Closes connections whose head did not come in time and forgets closed ones; returns how many it closed. */
    public int sweep() {
        long now = nanos.getAsLong();
        int closed = 0;
        for (var e : open.entrySet()) {
            Conn c = e.getValue();
            if (!c.channel.isOpen()) {
                c.reading.forEach(BodyWatch::abandon); // Helidon's streams would wait for the rest of their bodies for good
                open.remove(e.getKey(), c);
                continue;
            }
            if (c.phase == Phase.H2) {
                for (BodyWatch w : c.reading) {
                    if (w.stalled(now, settings.bodyTimeout())) {
                        bodyTimeouts.incrementAndGet();
                    }
                }
                if (c.streams.get() > 0) {
                    continue;
                }
            } else if (c.phase != Phase.HEAD) {
                continue;
            }
            Duration limit = c.servedOne ? settings.idleTimeout() : settings.headTimeout();
            if (now - c.since > limit.toNanos()) {
                // Counted before the close: whoever sees the connection end also sees why.
                (c.servedOne ? idleTimeouts : headTimeouts).incrementAndGet();
                open.remove(e.getKey(), c);
                try {
                    c.channel.close(); // the connection's blocked read fails; Helidon ends it quietly
                } catch (IOException ignored) {
                    // closed either way
                }
                closed++;
            }
        }
        return closed;
    }

    /** How often {@link #sweep()} should run: a quarter of the shortest deadline, between 50 ms and 1 s. */
    public Duration sweepPeriod() {
        long shortest = Math.min(settings.headTimeout().toMillis(), settings.idleTimeout().toMillis());
        return Duration.ofMillis(Math.clamp(shortest / 4, 50, 1000));
    }

    /** A new connection's first request while more are open than the soft cap; health checks always pass. */
    private boolean overCap(RoutingRequest req) {
        if (open.size() <= refuseAbove || req.path().path().startsWith("/health/")) {
            return false;
        }
        Conn c = open.get(req.remotePeer().address());
        return c != null && !c.servedOne;
    }

    /** Sets the soft cap: above it a new connection's first request gets a 503 in its dialect and is closed. */
    void refuseAbove(int connections) {
        refuseAbove = connections;
    }

    /** Sets the largest request header section HTTP/2 streams may have (HTTP/1.1's limit, which Helidon holds there). */
    public void maxHeaderBytes(long bytes) {
        maxHeaderBytes = bytes;
    }

    /** HTTP/2 stream bodies ended because no byte came for the body timeout (each answered with a 408). */
    public long bodyTimeouts() {
        return bodyTimeouts.get();
    }

    /** First requests refused because too many connections were open. */
    public long refusedOverCap() {
        return refused.get();
    }

    /** Client connections open now (closed ones drop out at the next sweep). */
    public int open() {
        return open.size();
    }

    public void bind(MeterRegistry registry) {
        Gauge.builder("tollgate.connections.open", this, Connections::open)
                .description("Client connections open on the listener.").register(registry);
        FunctionCounter.builder("tollgate.connections.closed", headTimeouts, AtomicLong::get)
                .description("Client connections the gateway closed because they were too slow.")
                .tag("reason", "head_timeout").register(registry);
        FunctionCounter.builder("tollgate.connections.closed", idleTimeouts, AtomicLong::get)
                .description("Client connections the gateway closed because they were too slow.")
                .tag("reason", "idle_timeout").register(registry);
        FunctionCounter.builder("tollgate.http2.body.timeouts", bodyTimeouts, AtomicLong::get)
                .description("HTTP/2 request bodies that stopped arriving for the body timeout (answered 408; the connection stays).")
                .register(registry);
    }

    public long headTimeouts() {
        return headTimeouts.get();
    }

    public long idleTimeouts() {
        return idleTimeouts.get();
    }

    private static void readTimeout(Conn c, Duration d) {
        try {
            c.channel.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, d.toMillis()));
        } catch (SocketException closed) {
            // the connection is gone; nothing to time
        }
    }

    /** Helidon's options, configuring and registering each accepted channel. */
    private final class Registering implements SocketOptions {
        private final SocketOptions base;

        Registering(SocketOptions base) {
            this.base = base;
        }

        @Override
        public void configureSocket(SocketChannel socket) {
            base.configureSocket(socket);
            try {
                open.put(socket.getRemoteAddress(), new Conn(socket, nanos.getAsLong()));
            } catch (IOException closed) {
                // the client left before we looked; Helidon finds out on its first read
            }
        }

        @Override
        public void configureSocket(java.net.Socket socket) {
            base.configureSocket(socket);
        }

        @Override
        public Map<SocketOption<?>, Object> socketOptions() {
            return base.socketOptions();
        }

        @Override
        public Duration connectTimeout() {
            return base.connectTimeout();
        }

        @Override
        public Duration readTimeout() {
            return base.readTimeout();
        }

        @Override
        public Optional<Integer> socketReceiveBufferSize() {
            return base.socketReceiveBufferSize();
        }

        @Override
        public Optional<Integer> socketSendBufferSize() {
            return base.socketSendBufferSize();
        }

        @Override
        public boolean socketReuseAddress() {
            return base.socketReuseAddress();
        }

        @Override
        public boolean socketKeepAlive() {
            return base.socketKeepAlive();
        }

        @Override
        public boolean tcpNoDelay() {
            return base.tcpNoDelay();
        }
    }
}
