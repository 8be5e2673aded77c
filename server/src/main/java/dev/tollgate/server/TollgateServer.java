package dev.tollgate.server;

import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.server.dashboard.DashboardRoutes;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.OpenAiErrors;
import dev.tollgate.server.health.Drain;
import dev.tollgate.server.health.HealthRoutes;
import dev.tollgate.server.openai.OpenAiSurface;
import dev.tollgate.server.admin.AdminRoutes;
import dev.tollgate.server.policy.PolicyHolder;
import dev.tollgate.server.policy.PolicyWatcher;
import dev.tollgate.server.proxy.Dispatcher;
import dev.tollgate.server.routing.Router;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Wires the stages together and owns the web server's lifecycle. */
public final class TollgateServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TollgateServer.class.getName());

    private final WebServer server;
    private final Drain drain;
    private final Duration shutdownGrace;

    private final Telemetry telemetry;

    private TollgateServer(WebServer server, Drain drain, Duration shutdownGrace, Telemetry telemetry) {
        this.telemetry = telemetry;
        this.server = server;
        this.drain = drain;
        this.shutdownGrace = shutdownGrace;
    }

    public static TollgateServer start(ServerSettings settings, PolicyHolder policy) {
        return start(settings, policy, null);
    }

    /** @param watcher the policy source for the admin API; {@code null} when the policy never changes */
    public static TollgateServer start(ServerSettings settings, PolicyHolder policy, PolicyWatcher watcher) {
        return start(settings, policy, watcher, Telemetry.create(TelemetrySettings.defaults(), null));
    }

    /** @param telemetry the request log, metrics and traces; closed with the server */
    public static TollgateServer start(ServerSettings settings, PolicyHolder policy, PolicyWatcher watcher, Telemetry telemetry) {
        Drain drain = new Drain();
        OpenAiSurface openai = new OpenAiSurface(policy, new Router(), new Dispatcher(new UpstreamClient()), drain, settings.bodyLimit());
        HttpRouting.Builder routing = HttpRouting.builder();
        // One snapshot per request, pinned before any handler runs; the header ties the answer to a commit.
        routing.addFilter((chain, req, res) -> {
            res.header(PolicyHolder.HEADER, policy.pin(req).version());
            chain.proceed();
        });
        telemetry.register(routing, policy);
        new DashboardRoutes(policy, watcher, telemetry.log()).register(routing);
        if (watcher != null) {
            telemetry.watch(watcher, policy);
            new AdminRoutes(policy, watcher, settings.webhookSecret(), telemetry.audit()).register(routing);
        }
        HealthRoutes.register(routing, policy, drain);
        openai.register(routing);
        routing.any((req, res) -> OpenAiErrors.send(res, new GatewayError.UnknownPath(req.prologue().method().text(), req.path().path())));
        routing.error(Throwable.class, (req, res, t) -> {
            LOG.log(Level.SEVERE, "unexpected failure on " + req.path().path(), t);
            if (!res.isSent()) {
                OpenAiErrors.send(res, new GatewayError.UpstreamFailed("The gateway failed unexpectedly; retry. The error was logged."));
            }
        });
        WebServer server = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                // Without TCP_NODELAY every SSE event and small response waits ~40 ms (Nagle + delayed ACK).
                .connectionOptions(o -> o.tcpNoDelay(true))
                .shutdownHook(false)
                .routing(routing)
                .build()
                .start();
        return new TollgateServer(server, drain, settings.shutdownGrace(), telemetry);
    }

    public int port() {
        return server.port();
    }

    /** Refuses new requests, lets open ones (streams included) finish up to the grace period, then stops. */
    @Override
    public void close() {
        try {
            if (!drain.drain(shutdownGrace)) {
                LOG.warning(drain.inFlight() + " requests still open after " + shutdownGrace.toSeconds() + " s; closing them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop();
        telemetry.close();
    }

    public Telemetry telemetry() {
        return telemetry;
    }
}
