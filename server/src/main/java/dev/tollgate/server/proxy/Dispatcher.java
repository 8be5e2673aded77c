package dev.tollgate.server.proxy;

import dev.tollgate.policy.Route;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.openai.OpenAiFamily;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.relay.StreamRelay;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.providers.upstream.UpstreamException;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.providers.usage.UsageTap;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.errors.OpenAiErrors;
import dev.tollgate.server.telemetry.RequestTrace;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Calls a route's targets in order and relays the first usable answer. A target is abandoned for the
 * next only while nothing has been written to the client: on connect errors, timeouts, 429, 5xx and
 * a rejected gateway credential.
 */
public final class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());
    private static final int MAX_UPSTREAM_BODY = 64 * 1024 * 1024;

    private final UpstreamClient upstream;

    public Dispatcher(UpstreamClient upstream) {
        this.upstream = upstream;
    }

    /** What happened, for the settle step and the request log. */
    public record Result(int status, Usage usage, String provider, String upstreamModel) {
    }

    public Result dispatch(Call call, Route route, ServerResponse res) throws GatewayException {
        RequestTrace trace = RequestTrace.current();
        Result result = attempt(call, route, res, trace);
        trace.result(result.status(), result.usage(), result.provider(), result.upstreamModel());
        return result;
    }

    private Result attempt(Call call, Route route, ServerResponse res, RequestTrace trace) throws GatewayException {
        trace.dispatching(call.api(), call.model(), call.stream(), call.policy(), route);
        List<GatewayError> failures = new ArrayList<>(1);
        List<Route.Target> targets = route.targets();
        for (int i = 0; i < targets.size(); i++) {
            Route.Target target = targets.get(i);
            boolean hasNext = i < targets.size() - 1;
            UpstreamRequest request;
            try {
                request = prepare(call, target);
            } catch (GatewayException e) {
                failures.add(e.error());
                continue;
            }
            request = trace.attempt(target, request);
            UpstreamResponse response;
            try {
                response = upstream.send(request, target.provider().timeouts());
            } catch (UpstreamException e) {
                trace.attemptFailed(e.kind().name().toLowerCase(java.util.Locale.ROOT));
                failures.add(switch (e.kind()) {
                    case TIMEOUT -> new GatewayError.UpstreamTimeout("Provider '" + target.provider().id() + "' did not answer in time ("
                            + e.getMessage() + "). Retry; if it persists the provider may be down.");
                    case CONNECT, RESET -> new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' could not be reached ("
                            + e.getMessage() + "). Retry; if it persists the provider may be down.");
                });
                continue;
            }
            int status = response.status();
            if (status == 401 || status == 403) {
                response.close();
                trace.attemptFailed("http_" + status);
                failures.add(new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' refused the gateway's credential (HTTP "
                        + status + "). This is not your key's fault: ask the platform team to check the provider credential."));
                continue;
            }
            if ((status == 429 || status >= 500) && hasNext) {
                response.close();
                trace.attemptFailed("http_" + status);
                failures.add(new GatewayError.UpstreamFailed("Provider '" + target.provider().id() + "' answered HTTP " + status + "."));
                continue;
            }
            return relay(call, target, response, res);
        }
        throw new GatewayException(summarize(call.model(), failures));
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

    private static UpstreamRequest prepare(Call call, Route.Target target) throws GatewayException {
        boolean askForUsage = call.api() == Api.CHAT_COMPLETIONS && call.stream() && !clientAskedForUsage(call);
        return OpenAiFamily.prepare(target.provider(), Credentials.pick(target.provider()), call.api(), target.model(),
                call.body(), askForUsage, call.passHeaders());
    }

    private static boolean clientAskedForUsage(Call call) {
        var options = call.body().node("stream_options");
        return options != null && options.path("include_usage").asBoolean(false);
    }

    private Result relay(Call call, Route.Target target, UpstreamResponse response, ServerResponse res) {
        int status = response.status();
        String provider = target.provider().id();
        res.status(Status.create(status));
        response.header("x-request-id").ifPresent(v -> res.header("x-upstream-request-id", v));
        response.header("retry-after").ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
        try (response) {
            if (status < 300 && call.stream() && response.isEventStream()) {
                return stream(call, response, res, provider, target.model());
            }
            byte[] body;
            try {
                body = response.readBody(MAX_UPSTREAM_BODY);
            } catch (IOException | UncheckedIOException e) {
                GatewayError error = new GatewayError.UpstreamFailed("Provider '" + provider + "' broke off its answer (" + e.getMessage() + "). Retry.");
                OpenAiErrors.send(res, error);
                return new Result(error.status(), Usage.NONE, provider, target.model());
            }
            res.header(HeaderNames.CONTENT_TYPE, response.header("content-type").orElse("application/json"));
            RequestTrace.current().firstByte();
            res.send(body);
            return new Result(status, status < 300 ? UsageTap.ofBody(call.api(), body) : Usage.NONE, provider, target.model());
        }
    }

    private Result stream(Call call, UpstreamResponse response, ServerResponse res, String provider, String model) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        UsageTap tap = UsageTap.forStream(call.api(), call.api() == Api.CHAT_COMPLETIONS && !clientAskedForUsage(call));
        try (OutputStream out = RequestTrace.current().watchFirstByte(res.outputStream())) {
            RelayOutcome outcome = StreamRelay.relay(response.body(), out, tap);
            switch (outcome) {
                case RelayOutcome.Completed c -> { }
                case RelayOutcome.ClientGone g -> LOG.log(Level.FINE, "client went away mid-stream; upstream call abandoned");
                case RelayOutcome.UpstreamBroke b -> writeStreamError(call.api(), out, new GatewayError.UpstreamFailed(
                        "Provider '" + provider + "' broke off the stream after " + b.eventsRelayed() + " events ("
                                + b.cause().getMessage() + "). Retry the request."));
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "client went away while closing the stream");
        }
        return new Result(200, tap.usage(), provider, model);
    }

    /** The client already has a 200 and some events: the failure must arrive as an event of its own dialect. */
    private static void writeStreamError(Api api, OutputStream out, GatewayError error) {
        RequestTrace.current().error(error);
        var body = OpenAiErrors.body(error);
        String event = switch (api) {
            case RESPONSES -> {
                var failed = body.objectNode();
                failed.put("type", "response.failed");
                var response = failed.putObject("response");
                response.put("status", "failed");
                response.set("error", body.get("error"));
                yield "event: response.failed\ndata: " + failed + "\n\n";
            }
            case CHAT_COMPLETIONS, EMBEDDINGS -> "data: " + body + "\n\n";
        };
        try {
            out.write(event.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "client went away before the stream error could be written");
        }
    }
}
