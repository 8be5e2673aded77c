package dev.tollgate.server.dispatch;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.providers.upstream.UpstreamException;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.route.Attempt;
import dev.tollgate.server.route.RoutePlan;
import dev.tollgate.server.route.Routed;
import dev.tollgate.server.route.Upstreams;
import dev.tollgate.server.settle.Settle;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The dispatch stage: a route's targets tried by the {@link AttemptLoop}, each attempt an
 * {@link Exchange}; and a provider's own token count relayed as it is.
 */
public final class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    private final UpstreamClient upstream;
    private final Upstreams upstreams;
    private final Adapters adapters;
    private final AttemptLoop loop;

    /**
     * @param upstreams cool-downs, circuits and attempt counts shared by every request
     * @param adapters  the provider kinds this gateway calls
     */
    public Dispatcher(UpstreamClient upstream, Upstreams upstreams, Adapters adapters) {
        this.upstream = upstream;
        this.upstreams = upstreams;
        this.adapters = adapters;
        this.loop = new AttemptLoop(upstream, upstreams, adapters);
    }

    /** What happened, for the settle step and the request log; {@code attempts} lists every upstream call in order. */
    public record Result(int status, Usage usage, String provider, String upstreamModel, List<Attempt> attempts) {

        public Result(int status, Usage usage, String provider, String upstreamModel) {
            this(status, usage, provider, upstreamModel, List.of());
        }

        public Result withAttempts(List<Attempt> all) {
            return new Result(status, usage, provider, upstreamModel, all);
        }
    }

    public Upstreams upstreams() {
        return upstreams;
    }

    public Adapters adapters() {
        return adapters;
    }

    /**
     * Tries the route's targets as {@link RoutePlan} orders them, moving on (or retrying after a
     * backoff) only while nothing has reached the client.
     *
     * @param settle told before the answer's final bytes are written, so the spend is committed first
     */
    public Result dispatch(Call call, Routed routed, ServerResponse res, Settle settle) throws GatewayException {
        RequestTrace trace = call.trace();
        trace.dispatching(call.api(), call.model(), call.stream(), call.policy(), routed.route());
        Result result = loop.run(call, routed, res, settle);
        trace.result(result.status(), result.usage(), result.provider(), result.upstreamModel());
        return result;
    }

    /** Sends one prepared request and relays the answer as it is (status and body), no fallback. */
    private void forward(UpstreamRequest request, Provider provider, ServerResponse res) throws GatewayException {
        try (UpstreamResponse response = upstream.send(request, provider)) {
            byte[] body = response.readBody(Answer.MAX_UPSTREAM_BODY);
            res.status(Status.create(response.status()));
            res.header(HeaderNames.CONTENT_TYPE, response.header("content-type").orElse("application/json"));
            res.send(body);
        } catch (UpstreamException | IOException | UncheckedIOException e) {
            throw new GatewayException(new GatewayError.UpstreamFailed("Provider '" + provider.id() + "' could not be reached ("
                    + e.getMessage() + "). Retry."));
        }
    }

    /**
     * Relays the token count of the target's provider when it counts this client's tokens itself
     * (Anthropic's, Gemini's); false when the gateway must estimate.
     */
    public boolean countTokens(Call call, Route.Target target, ServerResponse res) throws GatewayException {
        Provider provider = target.provider();
        Optional<UpstreamRequest> request;
        try {
            request = adapters.of(provider.kind()).countTokens(new Outbound(provider, provider.credentials().isEmpty() ? "(none)"
                    : provider.credentials().getFirst().ref().toString(), dev.tollgate.server.route.Credentials.secret(provider),
                    target.model(), call.api(), false, call.body(), true, call.passHeaders()));
        } catch (AdapterException e) {
            throw new GatewayException(Exchange.notMade(e));
        }
        if (request.isEmpty()) {
            return false;
        }
        forward(request.get(), provider, res);
        return true;
    }
}
