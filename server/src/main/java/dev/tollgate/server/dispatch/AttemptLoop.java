package dev.tollgate.server.dispatch;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.providers.upstream.UpstreamException;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.route.Attempt;
import dev.tollgate.server.route.RetryAfter;
import dev.tollgate.server.route.RoutePlan;
import dev.tollgate.server.route.Routed;
import dev.tollgate.server.route.Upstreams;
import dev.tollgate.server.settle.Settle;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The attempt loop, and only that: it walks the {@link RoutePlan}'s steps (retries with backoff,
 * fallbacks, skipped cool-downs and open circuits) and abandons a target only while nothing has
 * reached the client: on connect errors, timeouts, 429, 5xx, a rejected gateway credential and an
 * unusable answer. The first usable answer is relayed by its exchange.
 */
final class AttemptLoop {

    private static final Logger LOG = Logger.getLogger(AttemptLoop.class.getName());

    private final UpstreamClient upstream;
    private final Upstreams upstreams;
    private final Adapters adapters;

    AttemptLoop(UpstreamClient upstream, Upstreams upstreams, Adapters adapters) {
        this.upstream = upstream;
        this.upstreams = upstreams;
        this.adapters = adapters;
    }

    Dispatcher.Result run(Call call, Routed routed, ServerResponse res, Settle settle) throws GatewayException {
        RequestTrace trace = call.trace();
        List<GatewayError> failures = new ArrayList<>(1);
        RoutePlan plan = new RoutePlan(upstreams, routed);
        ClientRequest client = new ClientRequest(call);
        while (true) {
            RoutePlan.Step step;
            try {
                step = plan.next().orElse(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(new GatewayError.UpstreamFailed("The gateway stopped waiting to retry '" + call.model() + "'."));
                break;
            }
            if (step == null) {
                break;
            }
            RoutePlan.Step.Try attempt;
            switch (step) {
                case RoutePlan.Step.Unready u -> {
                    plan.unready(u);
                    failures.add(u.error());
                    continue;
                }
                case RoutePlan.Step.Try t -> attempt = t;
            }
            Route.Target target = attempt.target();
            Exchange exchange;
            try {
                exchange = Exchange.prepare(call, client, target, attempt.credential(), attempt.secret(), adapters);
            } catch (GatewayException e) {
                plan.abandon(attempt);
                if (e.error() instanceof GatewayError.BadRequest) {
                    throw e; // the client's request itself cannot be read: no other target will do better
                }
                failures.add(e.error());
                continue;
            }
            UpstreamResponse response;
            try {
                response = upstream.send(trace.attempt(target, exchange.request()), target.provider());
            } catch (UpstreamException e) {
                plan.failed(attempt, switch (e.kind()) {
                    case TIMEOUT -> Attempt.Outcome.TIMED_OUT;
                    case CONNECT, REFUSED -> Attempt.Outcome.CONNECT_FAILED;
                    case RESET -> Attempt.Outcome.RESET;
                }, 0, Optional.empty());
                trace.attemptFailed(e.kind().name().toLowerCase(java.util.Locale.ROOT));
                failures.add(switch (e.kind()) {
                    case TIMEOUT -> new GatewayError.UpstreamTimeout("Provider '" + target.provider().id() + "' did not answer in time ("
                            + e.getMessage() + "). Retry; if it persists the provider may be down.");
                    case CONNECT, RESET -> new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' could not be reached ("
                            + e.getMessage() + "). Retry; if it persists the provider may be down.");
                    case REFUSED -> new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' could not be reached: "
                            + e.getMessage() + ". This is the gateway's network set-up, not your request: tell the platform team.");
                });
                continue;
            }
            int status = response.status();
            Answer answer = null;
            if (status == 401 || status == 403) {
                response.close();
                plan.failed(attempt, Attempt.Outcome.CREDENTIAL_REJECTED, status, Optional.empty());
                trace.attemptFailed("http_" + status);
                failures.add(new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' refused the gateway's credential (HTTP "
                        + status + "). This is not your key's fault: ask the platform team to check the provider credential."));
                continue;
            }
            if (status == 429 || status >= 500) {
                Attempt.Outcome outcome = status == 429 ? Attempt.Outcome.THROTTLED : Attempt.Outcome.UPSTREAM_ERROR;
                if (plan.failed(attempt, outcome, status, RetryAfter.parse(response.header("retry-after"), upstreams.clock()))) {
                    response.close();
                    trace.attemptFailed("http_" + status);
                    failures.add(new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' answered HTTP " + status + "."));
                    continue;
                }
                // Nothing else to try: the client sees the provider's own answer (and its Retry-After).
            } else {
                if (status < 300) {
                    try {
                        answer = exchange.judge(response);
                    } catch (Answer.Unusable e) {
                        // Nothing has reached the client yet, so another target (or a retry) may serve.
                        response.close();
                        plan.failed(attempt, e.outcome, status, Optional.empty());
                        trace.attemptFailed(e.traceReason);
                        LOG.fine(() -> "provider " + target.provider().id() + " answered unusably: " + e.getMessage());
                        failures.add(new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' " + e.getMessage() + ". Retry."));
                        continue;
                    }
                }
                plan.answered(attempt, status);
            }
            return exchange.relay(response, answer, res, settle).withAttempts(plan.attempts());
        }
        if (failures.isEmpty()) {
            failures.add(new GatewayError.UpstreamFailed("No target of '" + call.model() + "' could be tried within the retry budget."));
        }
        throw new AttemptsFailed(summarize(call.model(), failures), plan.attempts());
    }

    /** One failure speaks for itself; several are listed so the operator sees every target's reason. */
    private static GatewayError summarize(String model, List<GatewayError> failures) {
        if (failures.size() == 1) {
            return failures.getFirst();
        }
        String all = "No target could serve '" + model + "': "
                + String.join(" | ", failures.stream().map(GatewayError::message).toList());
        boolean allNotReady = failures.stream().allMatch(f -> f instanceof GatewayError.ProviderNotReady);
        return allNotReady ? new GatewayError.ProviderNotReady(all) : new GatewayError.UpstreamFailed(all);
    }
}
