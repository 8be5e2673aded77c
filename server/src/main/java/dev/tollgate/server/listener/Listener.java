package dev.tollgate.server.listener;

import dev.tollgate.server.settings.ConnectionSettings;
import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The web server's listening socket, kept listening.
 * <ul>
 *   <li>Open client connections are capped below the process's descriptor limit (half of what is left
 *       after the descriptors open at start and a reserve, since each client connection may hold one
 *       upstream connection): Helidon takes a slot before {@code accept()}, so at the cap new
 *       connections wait in the OS listen backlog until one frees, and {@code accept()} never meets
 *       "Too many open files" because of clients. A sixteenth below the cap, a new connection's first
 *       request is answered with a 503 in its dialect that says why, and the connection closed.</li>
 *   <li>Should the listener stop anyway (Helidon 4.5 ends its accept loop for good on any error from
 *       {@code accept()}), a watchdog that connects to it every second notices the refused connection,
 *       starts a new server on the same port (retrying until descriptors are free again) and meanwhile
 *       {@link #accepting()} is false, which {@code /health/live} reports as 503.</li>
 *   <li>The same watchdog closes connections whose request head is late ({@link Connections#sweep()}).</li>
 * </ul>
 */
public final class Listener implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Listener.class.getName());
    /** Descriptors kept for everything but client and upstream connections: jars, databases, logs, Git. */
    static final int RESERVE = 128;
    private static final Duration PROBE_PERIOD = Duration.ofSeconds(1);

    private final Connections connections;
    private final int cap;
    private final String host;
    private volatile Consumer<WebServerConfig.Builder> configure;
    private final ScheduledExecutorService watchdog;
    private final AtomicLong restarts = new AtomicLong();
    private volatile WebServer server;
    private volatile int port;
    private volatile boolean accepting = true;
    private volatile boolean closed;

    /**
     * @param settings the timeouts and cap
     * @param host     where the server listens (the watchdog connects there, or to loopback for a wildcard)
     */
    public Listener(ConnectionSettings settings, String host) {
        this.connections = new Connections(settings);
        this.cap = clamp(settings.maxConnections(), descriptorLimit(), openDescriptors());
        // A margin below the hard cap where a new connection is still answered, with a 503 that says why.
        connections.refuseAbove(cap - Math.max(1, cap / 16));
        this.host = host;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("tollgate-listener-watchdog").daemon(true).unstarted(r));
        if (cap < settings.maxConnections()) {
            LOG.info("at most " + cap + " client connections at once (tollgate.connections.max " + settings.maxConnections()
                    + " does not fit the " + descriptorLimit().orElse(0) + " file descriptors this process may open)");
        }
    }

    /**
     * @param configure sets up a server builder (port, routing, protocols); called again for each restart, when the
     *                  port is then set to the one first bound
     */
    public Listener start(Consumer<WebServerConfig.Builder> configure) {
        this.configure = configure;
        server = build(-1).start();
        port = server.port();
        if (port > 0) {
            long sweep = connections.sweepPeriod().toMillis();
            watchdog.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
            watchdog.scheduleWithFixedDelay(this::probe, PROBE_PERIOD.toMillis(), PROBE_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** Client connections open at once, after clamping to the descriptor limit. */
    public int cap() {
        return cap;
    }

    public Connections connections() {
        return connections;
    }

    public int port() {
        return port;
    }

    /** False while the listening socket is gone or cannot take a connection (descriptors exhausted). */
    public boolean accepting() {
        return accepting;
    }

    /** Times the listener was started again after it stopped on its own. */
    public long restarts() {
        return restarts.get();
    }

    /** The server now listening (a restart replaces it). */
    public WebServer server() {
        return server;
    }

    private WebServer build(int fixedPort) {
        WebServerConfig.Builder b = WebServer.builder();
        configure.accept(b);
        if (fixedPort > 0) {
            b.port(fixedPort);
        }
        b.connectionOptions(connections.socketOptions(b.connectionOptions().orElseGet(SocketOptions::create)));
        b.maxTcpConnections(cap);
        // Read through the socket, not its channel: a channel's read has no timeout, a socket's (SO_TIMEOUT) has.
        b.useNio(false);
        return b.build();
    }

    private void sweep() {
        try {
            connections.sweep();
        } catch (RuntimeException e) {
            LOG.warning("connection sweep failed: " + e); // the next one tries again
        }
    }

    /** Connects to the listener: refused means it stopped; start a new one. */
    private void probe() {
        if (closed) {
            return;
        }
        InetAddress target;
        try {
            InetAddress bound = InetAddress.getByName(host);
            target = bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound;
        } catch (IOException e) {
            target = InetAddress.getLoopbackAddress();
        }
        try (SocketChannel ignored = SocketChannel.open(new InetSocketAddress(target, port))) {
            accepting = true;
            return;
        } catch (ConnectException refused) {
            // nothing listens: start again below
        } catch (IOException e) {
            // "Too many open files" here too: the listener could not take a connection either
            accepting = false;
            return;
        }
        accepting = false;
        try {
            WebServer old = server;
            WebServer fresh = build(port).start();
            if (!fresh.isRunning() || fresh.port() != port) {
                fresh.stop();
                return; // descriptors still short or the port still held; the next probe tries again
            }
            server = fresh;
            accepting = true;
            restarts.incrementAndGet();
            LOG.warning("the listener on port " + port + " had stopped accepting connections; listening again");
            Thread.ofVirtual().start(old::stop); // its connections are already closed; this only tidies up
        } catch (RuntimeException e) {
            LOG.warning("cannot listen on port " + port + " again yet (" + e.getMessage() + "); retrying in "
                    + PROBE_PERIOD.toSeconds() + " s");
        }
    }

    @Override
    public void close() {
        closed = true;
        watchdog.shutdownNow();
        server.stop();
    }

    /**
     * @param wanted    the configured cap
     * @param limit     the process's descriptor limit, if known
     * @param openNow   descriptors open now
     */
    static int clamp(int wanted, OptionalLong limit, long openNow) {
        if (limit.isEmpty()) {
            return wanted;
        }
        long room = (limit.getAsLong() - openNow - RESERVE) / 2;
        return (int) Math.max(16, Math.min(wanted, room));
    }

    private static OptionalLong descriptorLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return OptionalLong.of(unix.getMaxFileDescriptorCount());
        }
        return OptionalLong.empty();
    }

    private static long openDescriptors() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getOpenFileDescriptorCount();
        }
        return 0;
    }
}
