package dev.tollgate.server.dispatch;

import dev.tollgate.server.call.Call;

import dev.tollgate.policy.Route;
import dev.tollgate.policy.Provider;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.translate.TranslatedStream;
import dev.tollgate.providers.translate.Wires;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.relay.StreamEnd;
import dev.tollgate.providers.relay.StreamRelay;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.providers.upstream.UpstreamException;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.providers.usage.UsageTap;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.route.Attempt;
import dev.tollgate.server.route.RetryAfter;
import dev.tollgate.server.route.RoutePlan;
import dev.tollgate.server.route.Routed;
import dev.tollgate.server.route.Upstreams;
import dev.tollgate.server.settle.Meter;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Calls a route's targets (ordered, retried and skipped by {@link RoutePlan}) and relays the first
 * usable answer. A target is abandoned only while nothing has been written to the client: on connect
 * errors, timeouts, 429, 5xx and a rejected gateway credential.
 */
public final class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());
    private static final int MAX_UPSTREAM_BODY = 64 * 1024 * 1024;
    private static final int FIRST_EVENT_LIMIT = 64 * 1024;

    private final UpstreamClient upstream;
    private final Upstreams upstreams;
    private final Adapters adapters;

    /**
     * @param upstreams cool-downs, circuits and attempt counts shared by every request
     * @param adapters  the provider kinds this gateway calls
     */
    public Dispatcher(UpstreamClient upstream, Upstreams upstreams, Adapters adapters) {
        this.upstream = upstream;
        this.upstreams = upstreams;
        this.adapters = adapters;
    }

    /** What happened, for the settle step and the request log; {@code attempts} lists every upstream call in order. */
    public record Result(int status, Usage usage, String provider, String upstreamModel, List<Attempt> attempts) {

        public Result(int status, Usage usage, String provider, String upstreamModel) {
            this(status, usage, provider, upstreamModel, List.of());
        }

        Result withAttempts(List<Attempt> all) {
            return new Result(status, usage, provider, upstreamModel, all);
        }
    }

    public Upstreams upstreams() {
        return upstreams;
    }

    public Adapters adapters() {
        return adapters;
    }

    public Result dispatch(Call call, Route route, ServerResponse res) throws GatewayException {
        return dispatch(call, Routed.of(route), res, Meter.NONE);
    }

    public Result dispatch(Call call, Route route, ServerResponse res, Meter meter) throws GatewayException {
        return dispatch(call, Routed.of(route), res, meter);
    }

    /**
     * Tries the route's targets as {@link RoutePlan} orders them, moving on (or retrying after a
     * backoff) only while nothing has reached the client.
     *
     * @param meter told before the answer's final bytes are written, so the spend is committed first
     */
    public Result dispatch(Call call, Routed routed, ServerResponse res, Meter meter) throws GatewayException {
        RequestTrace trace = call.trace();
        trace.dispatching(call.api(), call.model(), call.stream(), call.policy(), routed.route());
        Result result = tryTargets(call, routed, res, meter, trace);
        trace.result(result.status(), result.usage(), result.provider(), result.upstreamModel());
        return result;
    }

    private Result tryTargets(Call call, Routed routed, ServerResponse res, Meter meter, RequestTrace trace) throws GatewayException {
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
            if (step instanceof RoutePlan.Step.Unready u) {
                plan.unready(u);
                failures.add(u.error());
                continue;
            }
            RoutePlan.Step.Try attempt = (RoutePlan.Step.Try) step;
            Route.Target target = attempt.target();
            Prepared prepared;
            try {
                prepared = prepare(call, client, target, attempt.credential(), attempt.secret());
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
                response = upstream.send(trace.attempt(target, prepared.request()), target.provider().timeouts());
            } catch (UpstreamException e) {
                plan.failed(attempt, switch (e.kind()) {
                    case TIMEOUT -> Attempt.Outcome.TIMED_OUT;
                    case CONNECT -> Attempt.Outcome.CONNECT_FAILED;
                    case RESET -> Attempt.Outcome.RESET;
                }, 0, Optional.empty());
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
                        answer = usableAnswer(call, prepared, response);
                    } catch (UnusableAnswer e) {
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
            Result result = prepared.translated()
                    ? relayTranslated(call, client.get(), prepared, target, response, res, meter, answer)
                    : relay(call, target, response, res, meter, answer);
            return result.withAttempts(plan.attempts());
        }
        if (failures.isEmpty()) {
            failures.add(new GatewayError.UpstreamFailed("No target of '" + call.model() + "' could be tried within the retry budget."));
        }
        throw new AttemptsFailed(summarize(call.model(), failures), plan.attempts());
    }

    /** A 2xx answer read far enough to know it can be relayed: a primed stream, or a whole body already read. */
    private sealed interface Answer {
        record Stream() implements Answer {
        }

        record Whole(byte[] body) implements Answer {
        }

        record Folded(TranslatedStream.Folded folded) implements Answer {
        }
    }

    /** An upstream 2xx that must not reach the client as a success: the attempt failed. */
    private static final class UnusableAnswer extends Exception {
        final Attempt.Outcome outcome;
        final String traceReason;

        UnusableAnswer(Attempt.Outcome outcome, String traceReason, String message) {
            super(message, null, false, false);
            this.outcome = outcome;
            this.traceReason = traceReason;
        }
    }

    /**
     * Reads as much of a 2xx answer as decides whether it is usable, while the client has nothing yet:
     * a stream's first event (it must be one), a whole body (it must be JSON), or, for a client that
     * did not ask to stream a translated answer, the whole upstream stream folded into one answer.
     */
    private static Answer usableAnswer(Call call, Prepared prepared, UpstreamResponse response) throws UnusableAnswer {
        if (response.isEventStream()) {
            try {
                response.primeFirstEvent(FIRST_EVENT_LIMIT);
            } catch (IOException | UncheckedIOException e) {
                boolean timedOut = e instanceof java.net.SocketTimeoutException;
                throw new UnusableAnswer(timedOut ? Attempt.Outcome.TIMED_OUT : Attempt.Outcome.RESET, timedOut ? "timeout" : "reset",
                        "broke off its stream before the first event (" + e.getMessage() + ")");
            }
            checkFirstEvent(response);
            if (prepared.translated() && !call.stream()) {
                TranslatedStream.Folded folded;
                try {
                    folded = TranslatedStream.fold(response.body(), Wires.codec(prepared.upstreamApi()).streamDecoder());
                } catch (IOException | RuntimeException e) {
                    throw new UnusableAnswer(Attempt.Outcome.RESET, "reset", "broke off its answer (" + e.getMessage() + ")");
                }
                if (folded.response() == null) {
                    throw new UnusableAnswer(Attempt.Outcome.UPSTREAM_ERROR, "incomplete", "did not finish its answer (" + folded.failure() + ")");
                }
                return new Answer.Folded(folded);
            }
            return new Answer.Stream();
        }
        if (prepared.translated()) {
            throw new UnusableAnswer(Attempt.Outcome.UPSTREAM_ERROR, "not_a_stream", "did not stream its answer ("
                    + response.header("content-type").orElse("no content type") + ")");
        }
        byte[] body;
        try {
            body = response.readBody(MAX_UPSTREAM_BODY);
        } catch (IOException | UncheckedIOException e) {
            throw new UnusableAnswer(Attempt.Outcome.RESET, "reset", "broke off its answer (" + e.getMessage() + ")");
        }
        if (!StreamEnd.oneJsonValue(body)) {
            throw new UnusableAnswer(Attempt.Outcome.UPSTREAM_ERROR, "malformed", "answered with a body that is not JSON ("
                    + body.length + " bytes)");
        }
        return new Answer.Whole(body);
    }

    /** A stream whose first event is not an event (not JSON, or no event at all) is an upstream failure, not an answer. */
    private static void checkFirstEvent(UpstreamResponse response) throws UnusableAnswer {
        if (!response.isServerSentEvents()) {
            return; // AWS frames carry their own checksums; the decoder judges them
        }
        byte[] ahead = response.primedBytes();
        if (ahead.length == 0) {
            throw new UnusableAnswer(Attempt.Outcome.UPSTREAM_ERROR, "empty", "ended its stream without any event");
        }
        if (!endsWithBlankLine(ahead)) {
            return; // a first event longer than the read-ahead: judged by the relay as it passes
        }
        SseEvent first;
        try {
            first = new SseReader(new java.io.ByteArrayInputStream(ahead)).next();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading an array does not fail
        }
        if (first != null && !StreamEnd.wellFormed(first)) {
            throw new UnusableAnswer(Attempt.Outcome.UPSTREAM_ERROR, "malformed", "sent a malformed first event");
        }
    }

    private static boolean endsWithBlankLine(byte[] b) {
        int n = b.length;
        return n >= 2 && b[n - 1] == '\n' && (b[n - 2] == '\n' || (n >= 3 && b[n - 2] == '\r' && b[n - 3] == '\n'));
    }

    /** Sends one prepared request and relays the answer as it is (status and body), no fallback. */
    private void forward(UpstreamRequest request, Provider provider, ServerResponse res) throws GatewayException {
        try (UpstreamResponse response = upstream.send(request, provider.timeouts())) {
            byte[] body = response.readBody(MAX_UPSTREAM_BODY);
            res.status(Status.create(response.status()));
            res.header(HeaderNames.CONTENT_TYPE, response.header("content-type").orElse("application/json"));
            res.send(body);
        } catch (UpstreamException | IOException | UncheckedIOException e) {
            throw new GatewayException(new GatewayError.UpstreamFailed("Provider '" + provider.id() + "' could not be reached ("
                    + e.getMessage() + "). Retry."));
        }
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

    /** An upstream request, whether its answer must be translated back, and the adapter that reads its errors. */
    private record Prepared(UpstreamRequest request, Api upstreamApi, boolean translated, Adapter adapter) {
    }

    /** The client's request in IR terms, decoded only when a target needs another format. */
    private static final class ClientRequest {
        private final Call call;
        private ChatRequest decoded;

        ClientRequest(Call call) {
            this.call = call;
        }

        ChatRequest get() throws GatewayException {
            if (decoded == null) {
                try {
                    // The client's model name is what its answer echoes (Gemini has it only in the path).
                    decoded = Wires.codec(call.api()).decodeRequest(call.body()).withModel(call.model());
                } catch (InvalidJsonException e) {
                    throw new GatewayException(new GatewayError.BadRequest(e.getMessage(), e.param()));
                }
            }
            return decoded;
        }
    }

    /** Same format: the client's bytes go up as they came. Otherwise the request is translated through the IR. */
    private Prepared prepare(Call call, ClientRequest client, Route.Target target, String credential, Optional<String> secret) throws GatewayException {
        Provider provider = target.provider();
        Adapter adapter = adapters.of(provider.kind());
        Api upstreamApi = adapter.upstreamApi(provider, target.model(), call.api()).orElseThrow(() -> new GatewayException(new GatewayError.ProviderNotReady(
                "Provider '" + provider.id() + "' (" + provider.kind().id() + ") cannot serve " + call.api().path() + " calls on this gateway yet.")));
        boolean passthrough = upstreamApi == call.api();
        JsonBody body = call.body();
        if (!passthrough) {
            try {
                ChatRequest translated = adapter.adapt(provider, client.get().withModel(target.model()));
                body = JsonBody.parse(Wires.codec(upstreamApi).encodeRequest(translated));
            } catch (InvalidJsonException e) {
                throw new IllegalStateException("an encoder wrote invalid JSON", e);
            }
        }
        // Client headers belong to the client's format; the upstream of another format gets none of them.
        // Translated calls always stream upstream.
        Outbound out = new Outbound(provider, credential, secret, target.model(), upstreamApi, !passthrough || call.stream(), body,
                passthrough, passthrough ? call.passHeaders() : Map.of());
        try {
            return new Prepared(adapter.request(out), upstreamApi, !passthrough, adapter);
        } catch (AdapterException e) {
            throw new GatewayException(notMade(e));
        }
    }

    private static GatewayError notMade(AdapterException e) {
        return switch (e.kind()) {
            case NOT_READY -> new GatewayError.ProviderNotReady(e.getMessage());
            case FAILED -> new GatewayError.UpstreamFailed(e.getMessage());
        };
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
            throw new GatewayException(notMade(e));
        }
        if (request.isEmpty()) {
            return false;
        }
        forward(request.get(), provider, res);
        return true;
    }

    private Result relay(Call call, Route.Target target, UpstreamResponse response, ServerResponse res, Meter meter, Answer answer) {
        int status = response.status();
        String provider = target.provider().id();
        res.status(Status.create(status));
        response.header("x-request-id").ifPresent(v -> res.header("x-upstream-request-id", v));
        response.header("retry-after").ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
        try (response) {
            if (status < 300 && call.stream() && response.isEventStream()) {
                return stream(call, response, res, provider, target.model(), meter);
            }
            byte[] body;
            try {
                body = answer instanceof Answer.Whole w ? w.body() : response.readBody(MAX_UPSTREAM_BODY);
            } catch (IOException | UncheckedIOException e) {
                GatewayError error = new GatewayError.UpstreamFailed("Provider '" + provider + "' broke off its answer (" + e.getMessage() + "). Retry.");
                call.trace().error(error);
                Dialect.send(call.api(), res, error);
                return new Result(error.status(), Usage.NONE, provider, target.model());
            }
            res.header(HeaderNames.CONTENT_TYPE, response.header("content-type").orElse("application/json"));
            Usage usage = status < 300 ? UsageTap.ofBody(call.api(), body) : Usage.NONE;
            meter.beforeBody(status, usage);
            call.trace().answered(body);
            res.send(body);
            return new Result(status, usage, provider, target.model());
        }
    }

    private Result stream(Call call, UpstreamResponse response, ServerResponse res, String provider, String model, Meter meter) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        UsageTap tap = UsageTap.forPassthrough(call.api(), call.body());
        try (OutputStream out = call.trace().watchFirstByte(res.outputStream())) {
            RelayOutcome outcome = StreamRelay.relay(response.body(), out, tap, event -> meter.beforeEvent(event, tap.usage()),
                    StreamEnd.of(call.api()));
            switch (outcome) {
                case RelayOutcome.Completed c -> { }
                case RelayOutcome.ClientGone g -> LOG.log(Level.FINE, "client went away mid-stream; upstream call abandoned");
                case RelayOutcome.UpstreamBroke b -> {
                    meter.finish(200, tap.usage()); // charged for what was generated, before the closing error event
                    writeStreamError(call, out, new GatewayError.UpstreamFailed(
                        "Provider '" + provider + "' broke off the stream after " + b.eventsRelayed() + " events ("
                                + b.cause().getMessage() + "). Retry the request."));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "client went away while closing the stream");
        }
        return new Result(200, tap.usage(), provider, model);
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

    /**
     * Relays an answer in another format. Errors are re-rendered in the client's dialect with the
     * provider's status; a stream is translated event by event; a whole answer is folded from the
     * upstream's stream (translated calls always stream upstream).
     */
    private Result relayTranslated(Call call, ChatRequest client, Prepared prepared, Route.Target target,
                                   UpstreamResponse response, ServerResponse res, Meter meter, Answer answer) {
        String provider = target.provider().id();
        response.header("x-request-id").ifPresent(v -> res.header("x-upstream-request-id", v));
        response.header("retry-after").ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
        WireCodec clientCodec = Wires.codec(call.api());
        try (response) {
            int status = response.status();
            if (status >= 300 || !response.isEventStream()) {
                String detail;
                try {
                    detail = prepared.adapter().errorMessage(response.readBody(64 * 1024), response::header);
                } catch (IOException | UncheckedIOException e) {
                    detail = e.getMessage();
                }
                GatewayError error = status >= 300
                        ? new GatewayError.UpstreamRejected(status, "Provider '" + provider + "' answered HTTP " + status + ": " + detail)
                        : new GatewayError.UpstreamFailed("Provider '" + provider + "' did not stream its answer (" + detail + "). Retry.");
                call.trace().error(error);
                Dialect.send(call.api(), res, error);
                return new Result(error.status(), Usage.NONE, provider, target.model());
            }
            WireCodec.StreamDecoder decoder = Wires.codec(prepared.upstreamApi()).streamDecoder();
            if (call.stream()) {
                res.status(Status.OK_200);
                res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                TranslatedStream.Outcome outcome;
                try (OutputStream out = call.trace().watchFirstByte(res.outputStream())) {
                    WireCodec.StreamEncoder encoder = Wires.streamEncoder(call.api(), client, call.body());
                    outcome = TranslatedStream.relay(response.body(), out, decoder, encoder, usage -> meter.beforeBody(200, usage));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.FINE, "client went away while closing the stream");
                    return new Result(200, Usage.NONE, provider, target.model());
                }
                if (outcome.relay() instanceof RelayOutcome.UpstreamBroke b) {
                    LOG.log(Level.FINE, "provider " + provider + " broke off a translated stream: " + b.cause().getMessage());
                    meter.finish(200, outcome.usage()); // charged for what was generated
                }
                return new Result(200, outcome.usage(), provider, target.model());
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
                return new Result(error.status(), Usage.NONE, provider, target.model());
            }
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            meter.beforeBody(200, folded.response().usage());
            byte[] encoded = clientCodec.encodeResponse(folded.response(), client);
            call.trace().answered(encoded);
            res.send(encoded);
            return new Result(200, folded.response().usage(), provider, target.model());
        }
    }
}
