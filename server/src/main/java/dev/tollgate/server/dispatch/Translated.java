package dev.tollgate.server.dispatch;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.translate.TranslatedStream;
import dev.tollgate.providers.translate.Wires;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.route.Attempt;
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
 * An attempt in another format than the client's: the request goes up translated through the IR
 * (always streamed), the answer comes back translated event by event, or folded into one answer for
 * a client that did not ask to stream.
 *
 * @param decoded the client's request in IR terms, which its answer is encoded against
 */
record Translated(Call call, ChatRequest decoded, Route.Target target, UpstreamRequest request, Api upstreamApi, Adapter adapter)
        implements Exchange {

    private static final Logger LOG = Logger.getLogger(Translated.class.getName());

    @Override
    public Answer judge(UpstreamResponse response) throws Answer.Unusable {
        if (!response.isEventStream()) {
            throw new Answer.Unusable(Attempt.Outcome.UPSTREAM_ERROR, "not_a_stream", "did not stream its answer ("
                    + response.header("content-type").orElse("no content type") + ")");
        }
        Answer.firstEvent(response);
        if (call.stream()) {
            return new Answer.Stream();
        }
        TranslatedStream.Folded folded;
        try {
            folded = TranslatedStream.fold(response.body(), Wires.codec(upstreamApi).streamDecoder());
        } catch (IOException | RuntimeException e) {
            throw new Answer.Unusable(Attempt.Outcome.RESET, "reset", "broke off its answer (" + e.getMessage() + ")");
        }
        if (folded.response() == null) {
            throw new Answer.Unusable(Attempt.Outcome.UPSTREAM_ERROR, "incomplete", "did not finish its answer (" + folded.failure() + ")");
        }
        return new Answer.Folded(folded);
    }

    /**
     * Relays an answer in another format. Errors are re-rendered in the client's dialect with the
     * provider's status; a stream is translated event by event; a whole answer is folded from the
     * upstream's stream (translated calls always stream upstream).
     */
    @Override
    public Dispatcher.Result relay(UpstreamResponse response, Answer answer, ServerResponse res, Settle settle) {
        ChatRequest client = decoded;
        String provider = target.provider().id();
        response.header("x-request-id").ifPresent(v -> res.header("x-upstream-request-id", v));
        response.header("retry-after").ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
        WireCodec clientCodec = Wires.codec(call.api());
        try (response) {
            int status = response.status();
            if (status >= 300 || !response.isEventStream()) {
                String detail;
                try {
                    detail = adapter.errorMessage(response.readBody(64 * 1024), response::header);
                } catch (IOException | UncheckedIOException e) {
                    detail = e.getMessage();
                }
                GatewayError error = status >= 300
                        ? new GatewayError.UpstreamRejected(status, "Provider '" + provider + "' answered HTTP " + status + ": " + detail)
                        : new GatewayError.UpstreamFailed("Provider '" + provider + "' did not stream its answer (" + detail + "). Retry.");
                call.trace().error(error);
                Dialect.send(call.api(), res, error);
                return new Dispatcher.Result(error.status(), Usage.NONE, provider, target.model());
            }
            WireCodec.StreamDecoder decoder = Wires.codec(upstreamApi).streamDecoder();
            if (call.stream()) {
                res.status(Status.OK_200);
                res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                TranslatedStream.Outcome outcome = null;
                try (OutputStream out = call.trace().watchFirstByte(res.outputStream())) {
                    WireCodec.StreamEncoder encoder = Wires.streamEncoder(call.api(), client, call.body());
                    outcome = TranslatedStream.relay(response.body(), out, decoder, encoder, usage -> settle.beforeBody(200, usage));
                    switch (outcome.relay()) {
                        case RelayOutcome.Completed c -> { }
                        case RelayOutcome.ClientGone g -> settle.cutShort(outcome.usage(), outcome.outputRelayed(), "the client went away");
                        case RelayOutcome.UpstreamBroke b -> {
                            LOG.log(Level.FINE, "provider " + provider + " broke off a translated stream: " + b.cause().getMessage());
                            settle.cutShort(outcome.usage(), outcome.outputRelayed(), "the provider broke off the stream");
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.FINE, "client went away while closing the stream");
                    if (outcome != null && !(outcome.relay() instanceof RelayOutcome.Completed)) {
                        settle.cutShort(outcome.usage(), outcome.outputRelayed(), "the client went away");
                    }
                    return new Dispatcher.Result(200, outcome == null ? Usage.NONE : outcome.usage(), provider, target.model());
                }
                return new Dispatcher.Result(200, outcome.usage(), provider, target.model());
            }
            TranslatedStream.Folded folded;
            if (answer instanceof Answer.Folded f) {
                folded = f.folded(); // read while another target could still be tried
            } else {
                try {
                    folded = TranslatedStream.fold(response.body(), decoder);
                } catch (IOException | RuntimeException e) {
                    folded = new TranslatedStream.Folded(null, e.getMessage());
                }
            }
            if (folded.response() == null) {
                GatewayError error = new GatewayError.UpstreamFailed("Provider '" + provider + "' broke off its answer (" + folded.failure() + "). Retry.");
                call.trace().error(error);
                Dialect.send(call.api(), res, error);
                return new Dispatcher.Result(error.status(), Usage.NONE, provider, target.model());
            }
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            settle.beforeBody(200, folded.response().usage());
            byte[] encoded = Wires.encodeResponse(call.api(), folded.response(), client, call.body());
            call.trace().answered(encoded);
            res.send(encoded);
            return new Dispatcher.Result(200, folded.response().usage(), provider, target.model());
        }
    }
}
