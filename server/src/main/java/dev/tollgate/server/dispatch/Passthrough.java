package dev.tollgate.server.dispatch;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.relay.AnswerModel;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.relay.StreamEnd;
import dev.tollgate.providers.relay.StreamRelay;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.providers.usage.UsageTap;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.settle.Settle;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An attempt in the client's own format: its bytes go up as they came (the adapter changes only what
 * it must), the answer comes back as it is, one event at a time, through the usage tap.
 */
record Passthrough(Call call, Route.Target target, UpstreamRequest request) implements Exchange {

    private static final Logger LOG = Logger.getLogger(Passthrough.class.getName());

    @Override
    public Answer judge(UpstreamResponse response) throws Answer.Unusable {
        return response.isEventStream() ? Answer.firstEvent(response) : Answer.wholeJson(response);
    }

    @Override
    public Dispatcher.Result relay(UpstreamResponse response, Answer answer, ServerResponse res, Settle settle) {
        int status = response.status();
        String provider = target.provider().id();
        res.status(Status.create(status));
        response.header("x-request-id").ifPresent(v -> res.header("x-upstream-request-id", v));
        response.header("retry-after").ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
        try (response) {
            if (status < 300 && call.stream() && response.isEventStream()) {
                return stream(response, res, provider, target.model(), settle);
            }
            byte[] body;
            try {
                body = answer instanceof Answer.Whole w ? w.body() : response.readBody(Answer.MAX_UPSTREAM_BODY);
            } catch (IOException | UncheckedIOException e) {
                GatewayError error = new GatewayError.UpstreamFailed("Provider '" + provider + "' broke off its answer (" + e.getMessage() + "). Retry.");
                call.trace().error(error);
                Dialect.send(call.api(), res, error);
                return new Dispatcher.Result(error.status(), Usage.NONE, provider, target.model());
            }
            res.header(HeaderNames.CONTENT_TYPE, response.header("content-type").orElse("application/json"));
            Usage usage = status < 300 ? UsageTap.ofBody(call.api(), body) : Usage.NONE;
            if (status < 300) {
                body = AnswerModel.whole(call.api(), body, call.model()); // the name the client asked for, as translated answers say
            }
            settle.beforeBody(status, usage);
            call.trace().answered(body);
            res.send(body);
            return new Dispatcher.Result(status, usage, provider, target.model());
        }
    }

    private Dispatcher.Result stream(UpstreamResponse response, ServerResponse res, String provider, String model, Settle settle) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        UsageTap tap = UsageTap.forPassthrough(call.api(), call.body());
        RelayOutcome outcome = null;
        try (OutputStream out = call.trace().watchFirstByte(res.outputStream())) {
            outcome = StreamRelay.relay(response.body(), out, tap, event -> settle.beforeEvent(event, tap.usage(), () -> tap.relayed().tokens()),
                    StreamEnd.of(call.api()), event -> AnswerModel.event(call.api(), event, call.model()));
            switch (outcome) {
                case RelayOutcome.Completed c -> { }
                case RelayOutcome.ClientGone g -> {
                    LOG.log(Level.FINE, "client went away mid-stream; upstream call abandoned");
                    settle.cutShort(tap.usage(), tap.relayed().tokens(), "the client went away");
                }
                case RelayOutcome.UpstreamBroke b -> {
                    // charged for what was reported and relayed, before the closing error event
                    settle.cutShort(tap.usage(), tap.relayed().tokens(), "the provider broke off the stream");
                    writeStreamError(call, out, new GatewayError.UpstreamFailed(
                        "Provider '" + provider + "' broke off the stream after " + b.eventsRelayed() + " events ("
                                + b.cause().getMessage() + "). Retry the request."));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "client went away while closing the stream");
            if (!(outcome instanceof RelayOutcome.Completed)) {
                settle.cutShort(tap.usage(), tap.relayed().tokens(), "the client went away");
            }
        }
        return new Dispatcher.Result(200, tap.usage(), provider, model);
    }

    /** The client already has a 200 and some events: the failure must arrive as an event of its own dialect. */
    private static void writeStreamError(Call call, OutputStream out, GatewayError error) {
        call.trace().error(error);
        try {
            out.write(Dialect.streamEvent(call.api(), error));
            out.flush();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "client went away before the stream error could be written");
        }
    }
}
