package dev.tollgate.server.surface.openai.socket;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.server.call.ModelName;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Identity;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.health.Drain;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

/**
 * The Responses WebSocket transport ({@code GET {base}/responses} with {@code Upgrade: websocket}) on
 * every OpenAI base path: the sockets open now, their idle timeout, and their part in a shutdown
 * (idle ones close at once with 1001, busy ones after their response). Each connection is a
 * {@link SocketSession}.
 */
public final class ResponsesSocket implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ResponsesSocket.class.getName());
    /** {@code TOLLGATE_WEBSOCKET_IDLE_SECONDS}: a socket with no frame and no response in flight this long is closed. */
    public static final String IDLE_ENV = "TOLLGATE_WEBSOCKET_IDLE_SECONDS";
    public static final String IDLE_PROPERTY = "tollgate.websocket.idle-seconds";
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(5);

    private final PolicyHolder policy;
    private final Gate gate;
    private final Drain drain;
    private final long maxMessageBytes;
    private final Duration idle;
    private final Loopback loopback;
    private final Set<SocketSession> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService sweeper;
    private volatile boolean draining;

    /**
     * @param maxMessageBytes the largest frame or message taken, and the most a connection's conversation
     *                        may hold: the HTTP body limit
     * @param host            where the listener binds, @param port its port once bound (responses are served through it)
     * @param served          on an HTTPS listener the certificate it serves (the only one the loopback trusts); null on HTTP
     */
    public ResponsesSocket(PolicyHolder policy, Gate gate, Drain drain, long maxMessageBytes, Duration idle, String host, IntSupplier port,
                           java.util.function.Supplier<java.security.cert.X509Certificate> served) {
        this.policy = policy;
        this.gate = gate;
        this.drain = drain;
        this.maxMessageBytes = Math.min(maxMessageBytes, Integer.MAX_VALUE - 16);
        this.idle = idle;
        this.loopback = new Loopback(host, port, served);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("tollgate-socket-sweeper").daemon(true).unstarted(r));
        long every = Math.clamp(idle.toMillis() / 4, 50, 5000);
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /** The idle timeout from {@value #IDLE_ENV} (or the system property {@value #IDLE_PROPERTY}), else {@link #DEFAULT_IDLE}. */
    public static Duration idleFromEnvironment() {
        String value = System.getProperty(IDLE_PROPERTY, System.getenv(IDLE_ENV));
        if (value == null || value.isBlank()) {
            return DEFAULT_IDLE;
        }
        try {
            double seconds = Double.parseDouble(value.trim());
            if (seconds > 0) {
                return Duration.ofMillis((long) (seconds * 1000));
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        LOG.warning(IDLE_ENV + " must be a positive number of seconds; using " + DEFAULT_IDLE.toSeconds());
        return DEFAULT_IDLE;
    }

    /** The WebSocket protocol (frames up to the body limit) and a route on each OpenAI base path. */
    public void register(WebServerConfig.Builder server, List<String> prefixes) {
        server.addProtocol(WsConfig.builder().maxFrameLength((int) maxMessageBytes).build());
        WsRouting.Builder routing = WsRouting.builder();
        for (String prefix : prefixes) {
            routing.endpoint(prefix + "/responses", () -> new SocketSession(this, newId()));
        }
        server.addRouting(routing);
    }

    // ---- what sessions ask ----------------------------------------------------------------------

    long maxMessageBytes() {
        return maxMessageBytes;
    }

    Loopback loopback() {
        return loopback;
    }

    String newId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** The refusal of the key an upgrade presents (missing, unknown, expired, revoked), on the policy of the moment. */
    Optional<GatewayError> refusesKey(Headers headers) {
        return refuses(policy.current(), key(headers.first(HeaderNames.AUTHORIZATION).orElse(null),
                headers.first(HeaderNames.create("x-api-key")).orElse(null)));
    }

    /** A pre-warm is checked like a call that spends nothing: its key now and its model's name. */
    Optional<GatewayError> refusesPrewarm(Map<String, String> carried, String model) {
        Optional<GatewayError> key = refuses(policy.current(), key(carried.get("authorization"), carried.get("x-api-key")));
        if (key.isPresent()) {
            return key;
        }
        try {
            ModelName.parse(model, "'model'");
            return Optional.empty();
        } catch (GatewayException e) {
            return Optional.of(e.error());
        }
    }

    private Optional<GatewayError> refuses(PolicySnapshot snapshot, String secret) {
        return gate.identify(snapshot, secret) instanceof Identity.Refused r ? Optional.of(r.error()) : Optional.empty();
    }

    private static String key(String authorization, String apiKey) {
        if (authorization != null && authorization.length() > 7 && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String secret = authorization.substring(7).trim();
            if (!secret.isEmpty()) {
                return secret;
            }
        }
        return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
    }

    boolean accepting() {
        return !draining && !drain.draining();
    }

    boolean draining() {
        return draining || drain.draining();
    }

    /** A response counts as a request in flight: shutdown waits for it. */
    boolean enter() {
        return !draining && drain.enter();
    }

    void exit() {
        drain.exit();
    }

    void opened(SocketSession session) {
        open.add(session);
        if (draining()) {
            session.close(SocketSession.GOING_AWAY, "the gateway is shutting down");
        }
    }

    void closed(SocketSession session) {
        open.remove(session);
    }

    /** Sockets open now. */
    public int open() {
        return open.size();
    }

    // ---- time and shutdown ----------------------------------------------------------------------

    private void sweep() {
        long now = System.nanoTime();
        for (SocketSession s : open) {
            if (s.idleFor(idle.toNanos(), now)) {
                s.close(SocketSession.GOING_AWAY, "idle for " + idle.toSeconds() + " s; open a new connection");
                open.remove(s);
            }
        }
    }

    /**
     * Shutdown begins: no new sockets or responses; idle sockets close now with 1001, busy ones once
     * their response has ended (the drain waits for those responses).
     */
    public void drain() {
        draining = true;
        for (SocketSession s : open) {
            if (!s.busy()) {
                s.close(SocketSession.GOING_AWAY, "the gateway is shutting down");
                open.remove(s);
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        for (SocketSession s : open) {
            s.close(SocketSession.GOING_AWAY, "the gateway is shutting down");
        }
        open.clear();
    }
}
