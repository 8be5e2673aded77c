package dev.tollgate.server;

import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.server.admin.AdminAuth;
import dev.tollgate.server.admin.AdminRoutes;
import dev.tollgate.server.budget.RedisBudgets;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.compact.CompactionKey;
import dev.tollgate.server.dashboard.DashboardRoutes;
import dev.tollgate.server.dispatch.Dispatcher;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.RateLimits;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.gitops.PolicyWatcher;
import dev.tollgate.server.health.Drain;
import dev.tollgate.server.health.HealthRoutes;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.SqliteLedger;
import dev.tollgate.server.listener.EarlyAnswers;
import dev.tollgate.server.listener.Http2Listener;
import dev.tollgate.server.listener.Listener;
import dev.tollgate.server.listener.ListenerTls;
import dev.tollgate.server.listener.UnreadableHeads;
import dev.tollgate.server.route.Router;
import dev.tollgate.server.route.Upstreams;
import dev.tollgate.server.settings.ConnectionSettings;
import dev.tollgate.server.settings.TlsSettings;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.shared.NodeName;
import dev.tollgate.server.shared.NodeRoster;
import dev.tollgate.server.shared.SharedStore;
import dev.tollgate.server.shared.StoreUnreachable;
import dev.tollgate.server.telemetry.RequestExport;
import dev.tollgate.server.signin.IdentityProvider;
import dev.tollgate.server.signin.LocalPersonalKeys;
import dev.tollgate.server.signin.PersonalKeys;
import dev.tollgate.server.signin.RedisPersonalKeys;
import dev.tollgate.server.signin.SignInRoutes;
import dev.tollgate.server.signin.SignInSettings;
import dev.tollgate.server.surface.ApiHandler;
import dev.tollgate.server.surface.BodyBudget;
import dev.tollgate.server.surface.Failures;
import dev.tollgate.server.surface.Pipeline;
import dev.tollgate.server.surface.anthropic.AnthropicSurface;
import dev.tollgate.server.surface.gemini.GeminiSurface;
import dev.tollgate.server.surface.openai.OpenAiSurface;
import dev.tollgate.server.surface.openai.socket.ResponsesSocket;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import dev.tollgate.server.usage.UsageRoutes;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/** Wires the stages together and owns the web server's lifecycle. */
public final class TollgateServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TollgateServer.class.getName());
    /** The second listener's name: /metrics without a token (tollgate.management.port). */
    private static final String MANAGEMENT = "management";

    private final Listener server;
    private final Drain drain;
    private final Duration shutdownGrace;
    private final Spend spend;
    private final Upstreams upstreams;

    private final Telemetry telemetry;
    private final Optional<SharedStore> shared;
    private ResponsesSocket sockets;
    /** This node in the roster of nodes sharing Redis (Redis mode). */
    private Optional<NodeRoster> roster = Optional.empty();
    /** Every node's agent-session totals (Redis mode). */
    private Optional<dev.tollgate.server.telemetry.SharedSessionTotals> sessionTotals = Optional.empty();

    private TollgateServer(Listener server, Drain drain, Duration shutdownGrace, Spend spend, Upstreams upstreams,
                           Telemetry telemetry, Optional<SharedStore> shared) {
        this.telemetry = telemetry;
        this.shared = shared;
        this.server = server;
        this.drain = drain;
        this.shutdownGrace = shutdownGrace;
        this.spend = spend;
        this.upstreams = upstreams;
    }

    public static TollgateServer start(ServerSettings settings, PolicyHolder policy) {
        return start(settings, policy, null);
    }

    /** @param watcher the policy source for the admin API; {@code null} when the policy never changes */
    public static TollgateServer start(ServerSettings settings, PolicyHolder policy, PolicyWatcher watcher) {
        return start(settings, policy, watcher, Clock.systemUTC(), Telemetry.create(TelemetrySettings.defaults(), null));
    }

    /** @param clock the time budgets' periods and upstream cool-downs and circuits are counted in (tests move it) */
    public static TollgateServer start(ServerSettings settings, PolicyHolder policy, PolicyWatcher watcher, Clock clock) {
        return start(settings, policy, watcher, clock, Telemetry.create(TelemetrySettings.defaults(), null));
    }

    /** @param telemetry the request log, metrics and traces; closed with the server */
    public static TollgateServer start(ServerSettings settings, PolicyHolder policy, PolicyWatcher watcher, Telemetry telemetry) {
        return start(settings, policy, watcher, Clock.systemUTC(), telemetry);
    }

    public static TollgateServer start(ServerSettings settings, PolicyHolder policy, PolicyWatcher watcher, Clock clock,
                                       Telemetry telemetry) {
        return start(settings, ConnectionSettings.defaults(), policy, watcher, clock, telemetry);
    }

    /** @param connections the cap on client connections and their timeouts */
    public static TollgateServer start(ServerSettings settings, ConnectionSettings connections, PolicyHolder policy,
                                       PolicyWatcher watcher, Clock clock, Telemetry telemetry) {
        return builder().settings(settings).connections(connections).policy(policy).watcher(watcher).clock(clock).telemetry(telemetry).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What a gateway is made of; what is not set has its default. */
    public static final class Builder {
        private ServerSettings settings;
        private ConnectionSettings connections = ConnectionSettings.defaults();
        private PolicyHolder policy;
        private PolicyWatcher watcher;
        private Clock clock = Clock.systemUTC();
        private Telemetry telemetry;
        private Adapters adapters;
        private TlsSettings tls = TlsSettings.none();
        private Optional<SignInSettings> signIn = Optional.empty();

        private Builder() {
        }

        /** Developer sign-in through the company's OIDC provider; off by default. */
        public Builder signIn(Optional<SignInSettings> signIn) {
            this.signIn = signIn;
            return this;
        }

        /** HTTPS on the listener, the egress proxy and private CAs; none by default. */
        public Builder tls(TlsSettings tls) {
            this.tls = tls;
            return this;
        }

        public Builder settings(ServerSettings settings) {
            this.settings = settings;
            return this;
        }

        /** The cap on client connections and their timeouts. */
        public Builder connections(ConnectionSettings connections) {
            this.connections = connections;
            return this;
        }

        public Builder policy(PolicyHolder policy) {
            this.policy = policy;
            return this;
        }

        /** The policy source for the admin API; none when the policy never changes. */
        public Builder watcher(PolicyWatcher watcher) {
            this.watcher = watcher;
            return this;
        }

        /** The time budgets' periods, cool-downs, circuits and access tokens are counted in (tests move it). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** The request log, metrics and traces; closed with the server. */
        public Builder telemetry(Telemetry telemetry) {
            this.telemetry = telemetry;
            return this;
        }

        /** The provider kinds the gateway calls; the built-in ones by default. */
        public Builder adapters(Adapters adapters) {
            this.adapters = adapters;
            return this;
        }

        public TollgateServer start() {
            return TollgateServer.start(settings, connections, policy, watcher, clock,
                    telemetry != null ? telemetry : Telemetry.create(TelemetrySettings.defaults(), null),
                    adapters != null ? adapters : new Adapters(clock), tls, signIn);
        }
    }

    private static TollgateServer start(ServerSettings settings, ConnectionSettings connections, PolicyHolder policy,
                                        PolicyWatcher watcher, Clock clock, Telemetry telemetry, Adapters adapters, TlsSettings tls,
                                        Optional<SignInSettings> signIn) {
        Listener listener = new Listener(connections, settings.host());
        // Read before anything starts: a key or certificate that cannot be used stops the gateway naming the file.
        Optional<ListenerTls> https = tls.cert().map(cert -> new ListenerTls(cert, tls.key().orElseThrow()));
        UpstreamClient client = new UpstreamClient(tls.proxy(), tls.caBundles());
        adapters.upstream(client); // Vertex's token exchange takes the same proxy and CAs
        CompactionKey.install(settings.stateDir());
        Drain drain = new Drain();
        Optional<SharedStore> shared = settings.redisUrl().map(SharedStore::of);
        // Personal keys from sign-in: in Redis when nodes share state (a key issued on one works on all), else in the state directory.
        PersonalKeys people = signIn.isEmpty() ? new PersonalKeys.None()
                : shared.<PersonalKeys>map(s -> new RedisPersonalKeys(s, clock)).orElseGet(() -> new LocalPersonalKeys(settings.stateDir(), clock));
        Supplier<Ledger> ledger = () -> SqliteLedger.open(settings.stateDir(), "full".equalsIgnoreCase(System.getenv("TOLLGATE_LEDGER_SYNC")));
        Spend spend;
        Gate gate;
        String nodeName = shared.isPresent() ? NodeName.of(settings.stateDir()) : null;
        if (shared.isPresent()) {
            // Several nodes: budgets and limits in Redis, this node's ledger its journal.
            String node = nodeName;
            spend = new Spend(ledger, clock, new RedisBudgets(shared.get(), node));
            gate = new Gate(spend, new RateLimits(shared.get(), node), people,
                    new dev.tollgate.server.session.Sessions(clock, new dev.tollgate.server.session.SharedSessions(shared.get())));
        } else {
            spend = new Spend(ledger, clock);
            gate = new Gate(spend, new RateLimits(), people);
        }
        AdminAuth.signIn(people, clock);
        // The spend ledger opens with the first policy that declares keys: when this one does, at once but
        // off the start-up path (loading SQLite's native library takes a while); the first request waits for it.
        if (!Gate.open(policy.current())) {
            Thread.ofPlatform().name("tollgate-ledger-open").daemon(true).start(spend::ledger);
        }
        Upstreams upstreams = new Upstreams(clock);
        Pipeline pipeline = new Pipeline(gate, new Router(), new Dispatcher(client, upstreams, adapters));
        // The surfaces: each its paths and dialect, all through one handler (and one error handler, below).
        ApiHandler api = new ApiHandler(policy, pipeline, drain, settings.bodyLimit());
        // Codex's Responses WebSocket: each response.create is served through this listener's own POST /responses.
        ResponsesSocket sockets = new ResponsesSocket(policy, gate, drain, settings.bodyLimit(), ResponsesSocket.idleFromEnvironment(),
                settings.host(), listener::port, https.<java.util.function.Supplier<java.security.cert.X509Certificate>>map(t -> t::certificate).orElse(null));
        HttpRouting.Builder routing = HttpRouting.builder();
        // Outermost: the connection waits for its next request head once the handler has returned.
        routing.addFilter(listener.connections()::filter);
        // One snapshot per request, pinned before any handler runs; the header ties the answer to a commit.
        routing.addFilter((chain, req, res) -> policy.pinned(snapshot -> {
            res.header(PolicyHolder.HEADER, snapshot.version());
            chain.proceed();
        }));
        // Every POST's body is charged to one budget of bytes held at once, given back when the request ends.
        new BodyBudget(settings.bodyBuffered()).register(routing);
        telemetry.register(routing, policy);
        telemetry.metrics().track(spend, upstreams);
        new DashboardRoutes(policy, watcher, telemetry.log()).register(routing);
        if (watcher != null) {
            telemetry.watch(watcher, policy);
            new AdminRoutes(policy, watcher, settings.webhookSecret(), telemetry.audit(), settings.webhookBodyLimit()).register(routing);
        }
        HealthRoutes.register(routing, policy, drain, shared, listener::accepting);
        new SignInRoutes(policy, signIn.map(IdentityProvider::new), people, telemetry.audit(), clock).register(routing);
        new UsageRoutes(policy, gate).register(routing, OpenAiSurface.PREFIXES);
        new dev.tollgate.server.usage.BudgetRoutes(policy, gate, telemetry.log()).register(routing);
        // Redis mode: every node's records add to shared session totals, which the session list reads.
        Optional<dev.tollgate.server.telemetry.SharedSessionTotals> sessionTotals = shared.map(dev.tollgate.server.telemetry.SharedSessionTotals::new);
        new dev.tollgate.server.telemetry.SessionRoutes(policy, telemetry, gate.sessions(), sessionTotals.orElse(null)).register(routing);
        routing.register(new OpenAiSurface(api), new AnthropicSurface(api), new GeminiSurface(api));
        routing.any((req, res) -> Dialect.send(Dialect.ofPath(req.path().path()), res,
                new GatewayError.UnknownPath(req.prologue().method().text(), req.path().path())));
        Failures.register(routing);
        listener.connections().bind(telemetry.metrics().registry());
        int management = telemetry.settings().managementPort();
        Http1Config http1 = Http1Config.builder().validateResponseHeaders(false)
                .addReceiveListener(listener.connections().receiveListener()).build();
        listener.connections().maxHeaderBytes(http1.maxHeadersSize());
        listener.start(builder -> builder
                // Metrics without a token only on the management port: one for a private network, not the one clients reach.
                .update(b -> {
                    if (management > 0) {
                        b.putSocket(MANAGEMENT, socket -> socket.host(settings.host()).port(management)
                                // HTTP/1.1 only: discovery would add HTTP/2 (and its h2c upgrade) now that the module is here
                                .protocolsDiscoverServices(false).addProtocol(Http1Config.create())
                                .routing(r -> telemetry.registerManagement(r, policy)));
                    }
                })
                .host(settings.host())
                .port(settings.port())
                .update(b -> https.ifPresent(t -> b.tls(t.tls())))
                // Without TCP_NODELAY every SSE event and small response waits ~40 ms (Nagle + delayed ACK).
                .connectionOptions(o -> o.tcpNoDelay(true))
                // Response header values come from this code or from upstream heads, which refuse a
                // bare CR (ResponseHead): validating them again costs ~5% of a proxied request's CPU.
                .addProtocol(http1)
                // HTTP/2 (h2 by ALPN, h2c by prior knowledge) as tollgate.http2 says; before the selector below, which would claim h2c's preface.
                .update(b -> Http2Listener.install(b, connections.http2(), https.isPresent(), http1.maxHeadersSize()))
                // A head HTTP/1.1 does not claim (bare LF, HTTP/1.0, a request line too long) gets a 400/414, not a silent close.
                .addConnectionSelector(new UnreadableHeads(http1.maxPrologueLength(), connections.http2().served(https.isPresent())))
                // Helidon's own refusals (bad head, huge headers, Content-Encoding) as JSON in the path's dialect;
                // includeEntity hands them Helidon's short reason, which they reword rather than echo.
                .directHandlers(EarlyAnswers.handlers())
                .errorHandling(e -> e.includeEntity(true))
                .shutdownHook(false)
                .update(b -> sockets.register(b, OpenAiSurface.PREFIXES))
                .routing(routing));
        TollgateServer server = new TollgateServer(listener, drain, settings.shutdownGrace(), spend, upstreams, telemetry, shared);
        server.sockets = sockets;
        server.sessionTotals = sessionTotals;
        // Redis mode: this node joins the roster, so an export says which other nodes' logs it lacks.
        server.roster = shared.map(s -> NodeRoster.join(s, nodeName, settings.host() + ":" + listener.port()));
        server.roster.ifPresent(r -> telemetry.exportCoverage(() -> {
            try {
                return new RequestExport.Coverage.Shared(r.node(), r.live());
            } catch (StoreUnreachable e) {
                return new RequestExport.Coverage.Unknown(r.node(), e.getMessage());
            }
        }));
        return server;
    }

    public int port() {
        return server.port();
    }

    /** Requests being served now (what a shutdown waits for). */
    public int inFlight() {
        return drain.inFlight();
    }

    /** The management listener's port; -1 when there is none. */
    public int managementPort() {
        return server.server().port(MANAGEMENT);
    }

    /** Cool-downs, circuits and attempt counts of the upstreams. */
    public Upstreams upstreams() {
        return upstreams;
    }

    /** Refuses new requests, lets open ones (streams included) finish up to the grace period, then stops. */
    @Override
    public void close() {
        sockets.drain();
        try {
            if (!drain.drain(shutdownGrace)) {
                LOG.warning(drain.inFlight() + " requests still open after " + shutdownGrace.toSeconds() + " s; closing them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sockets.close();
        server.close();
        spend.close();
        roster.ifPresent(NodeRoster::close);
        sessionTotals.ifPresent(dev.tollgate.server.telemetry.SharedSessionTotals::close);
        shared.ifPresent(SharedStore::close);
        telemetry.close();
    }

    /** The listening socket and the client connections on it. */
    public Listener listener() {
        return server;
    }

    public Telemetry telemetry() {
        return telemetry;
    }
}
