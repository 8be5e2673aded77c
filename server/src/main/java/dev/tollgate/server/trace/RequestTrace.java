package dev.tollgate.server.trace;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.errors.GatewayError;
import io.helidon.webserver.http.ServerRequest;
import io.opentelemetry.api.trace.Span;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one request did, collected as it runs on its (virtual) thread and handed to {@link Telemetry}
 * once, at its end. The stages only report facts here; nothing is written or exported until then.
 * It travels with the request (in its context, and in its {@code Call}); outside a request a detached
 * trace collects facts that go nowhere.
 */
public final class RequestTrace {

    final String id;
    final Instant time = Instant.now();
    final long startNanos = System.nanoTime();
    final String surface;
    final String client;
    final Tracing.ServerSpan span;
    PolicySnapshot policy;
    Api api;
    String requestedModel;
    boolean stream;
    /** The model name the policy declares (catalog name) when the request resolved through the catalog. */
    String catalogModel;
    String provider;
    String providerKind;
    String upstreamModel;
    final List<RequestRecord.Attempt> attempts = new ArrayList<>(2);
    private long attemptStart;
    private Route.Target attemptTarget;
    private Span attemptSpan;
    private Map<String, Integer> nextDropped = Map.of();
    private Map<String, Integer> attemptDropped = Map.of();
    long upstreamNanos;
    long firstByteNanos;
    Usage usage = Usage.NONE;
    Integer status;
    String errorType;
    /** Filled by the gate when it knows the caller (the governance issue); null until then. */
    String keyId;
    String team;
    String customer;
    BigDecimal cost;
    /** What the settle stage charged, when it did: it wins over the answer's usage in the record. */
    Usage charged;
    /** Why the request was charged or sent as it was (see {@link RequestRecord#notes}); null when plain. */
    StringBuilder notes;
    /** The agent session, its subagent and the tool call the request answers (null outside a session). */
    String session;
    String agent;
    String toolCall;
    /** The answer warned that a budget is nearly spent. */
    boolean budgetWarning;
    /** A budget's downgrade sent the request to a cheaper model than it asked for. */
    boolean downgraded;
    /** The runaway brake's rule that refused the request (it tripped now, or the session was paused); null when none. */
    String brake;
    /** Set only when the caller's policy turns content capture on. */
    ContentCapture content;

    public RequestTrace(String id, String surface, String client, Tracing.ServerSpan span) {
        this.id = id;
        this.surface = surface;
        this.client = client;
        this.span = span;
    }

    /** The trace telemetry keeps for this request, in its context; a detached one when it keeps none. */
    public static RequestTrace of(ServerRequest req) {
        return req.context().get(RequestTrace.class).orElseGet(RequestTrace::detached);
    }

    /** A trace whose facts go nowhere: a request telemetry does not follow, a stage driven by a test. */
    public static RequestTrace detached() {
        return new RequestTrace("detached", "none", null, Tracing.ServerSpan.NONE);
    }

    /** Travels with its request: kept in the request's context, where {@link #of} finds it. */
    public void attach(ServerRequest req) {
        req.context().register(this);
    }

    public String id() {
        return id;
    }

    /** The request as the surface read it, and the route it resolved to (null when it did not). */
    public void dispatching(Api api, String requestedModel, boolean stream, PolicySnapshot policy, Route route) {
        this.api = api;
        this.requestedModel = requestedModel;
        this.stream = stream;
        this.policy = policy;
        if (route != null && policy.catalog().contains(route.model())) {
            catalogModel = route.model();
        }
    }

    /** Who is calling, once the gate has authenticated the key. */
    public void caller(String keyId, String team, String customer) {
        this.keyId = keyId;
        this.team = team;
        this.customer = customer;
    }

    /** The agent session the request belongs to, as its client named it. */
    public void session(String id, String agent) {
        this.session = id;
        this.agent = agent;
    }

    /** The tool call whose result the request carries. */
    public void toolCall(String name) {
        this.toolCall = name;
    }

    /** The answer carries a budget warning (said in the notes too). */
    public void budgetWarning(String sentence) {
        budgetWarning = true;
        note(sentence);
    }

    /** A budget's downgrade sent the request to a cheaper model (said in the notes too). */
    public void downgraded(String sentence) {
        downgraded = true;
        note(sentence);
    }

    /** The runaway brake refused the request under {@code rule}. */
    public void brake(String rule) {
        this.brake = rule;
    }

    /** The caller's policy keeps prompts and answers: this request's body is kept, and its answer as it goes out. */
    public void captureContent(byte[] requestBody) {
        content = new ContentCapture(requestBody);
    }

    /** What the settle stage charged: these tokens and this cost (null for a model without a price) are what the record shows. */
    public void charged(Usage usage, BigDecimal usd) {
        this.charged = usage;
        this.cost = usd;
    }

    /** A sentence for the request log's notes: why it was charged or sent as it was. */
    public void note(String sentence) {
        if (notes == null) {
            notes = new StringBuilder(sentence);
        } else if (notes.length() < RequestRecord.MAX_NOTES) {
            notes.append(' ').append(sentence);
        }
    }

    /** The settled cost, when the governance stage priced it; otherwise it is priced from the policy at the end. */
    public void cost(BigDecimal usd) {
        this.cost = usd;
    }

    /**
     * An upstream attempt starts: closes the previous one (it failed, or the loop would not be here),
     * opens a client span and returns the request with the trace context in {@code traceparent}.
     */
    public UpstreamRequest attempt(Route.Target target, UpstreamRequest request) {
        endAttempt("abandoned", null);
        attemptDropped = nextDropped;
        nextDropped = Map.of();
        attemptStart = System.nanoTime();
        attemptTarget = target;
        attemptSpan = span.startAttempt(operation(api), target);
        Map<String, String> headers = span.inject(attemptSpan, new HashMap<>(request.headers()));
        return headers == null ? request : new UpstreamRequest(request.uri(), headers, request.body());
    }

    /** What the next attempt's translated request leaves out on purpose, by kind (recorded with that attempt). */
    public void dropped(Map<String, Integer> counts) {
        nextDropped = Map.copyOf(counts);
    }

    /** The attempt under way failed before an answer was relayed ("timeout", "connect", "http_503"...). */
    public void attemptFailed(String outcome) {
        endAttempt(outcome, outcome);
    }

    /** The first byte of the answer goes to the client now (time to first token). */
    public void firstByte() {
        if (firstByteNanos == 0) {
            firstByteNanos = System.nanoTime();
        }
    }

    /** A whole answer goes to the client now: its first byte, and its content when captured. */
    public void answered(byte[] body) {
        firstByte();
        if (content != null) {
            content.answer(body, 0, body.length);
        }
    }

    /** Wraps a stream to the client so its first write marks the time to first token (and, when captured, copies what it writes). */
    public OutputStream watchFirstByte(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                firstByte();
                out.write(b, off, len);
                if (content != null) {
                    content.answer(b, off, len);
                }
            }
        };
    }

    /** The answer relayed (or the error relayed from the provider): ends the last attempt. */
    public void result(int status, Usage usage, String provider, String upstreamModel) {
        this.usage = usage == null ? Usage.NONE : usage;
        this.provider = provider;
        this.upstreamModel = upstreamModel;
        if (attemptTarget != null) {
            providerKind = attemptTarget.provider().kind().id();
        }
        if (status >= 400 && errorType == null) {
            errorType = "upstream_http_" + status;
        }
        span.usage(attemptSpan, upstreamModel, this.usage);
        endAttempt(status < 400 ? "ok" : "http_" + status, status < 400 ? null : "http_" + status);
    }

    /** The gateway refused or failed the request (rendered in the client's dialect by the surface). */
    public void error(GatewayError error) {
        errorType = errorType(error);
        if (status == null) {
            status = error.status();
        }
    }

    /** {@code ModelNotFound} -> {@code model_not_found}: one word per variant, stable across dialects. */
    static String errorType(GatewayError error) {
        return error.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private void endAttempt(String outcome, String error) {
        if (attemptTarget == null) {
            return;
        }
        long took = System.nanoTime() - attemptStart;
        upstreamNanos += took;
        attempts.add(new RequestRecord.Attempt(attemptTarget.provider().id(), attemptTarget.model(), outcome, took / 1e6, attemptDropped));
        attemptDropped = Map.of();
        span.endAttempt(attemptSpan, error);
        attemptTarget = null;
        attemptSpan = null;
    }

    /** What the request did, read once by telemetry when it has ended. */
    public record Facts(String id, Instant time, long startNanos, String surface, String client, Tracing.ServerSpan span, Api api,
                        String requestedModel, boolean stream, String catalogModel, String provider, String providerKind,
                        String upstreamModel, List<RequestRecord.Attempt> attempts, long upstreamNanos, long firstByteNanos, Usage usage,
                        String errorType, String keyId, String team, String customer, BigDecimal cost, ContentCapture content,
                        String notes, String session, String agent, String toolCall, boolean budgetWarning, String brake,
                        boolean downgraded) {
    }

    /** Ends the request's last attempt (abandoned, if still open) and hands over what it did. */
    public Facts close() {
        endAttempt("abandoned", "abandoned");
        return new Facts(id, time, startNanos, surface, client, span, api, requestedModel, stream, catalogModel, provider, providerKind,
                upstreamModel, List.copyOf(attempts), upstreamNanos, firstByteNanos, charged != null ? charged : usage, errorType, keyId, team,
                customer, cost, content, notes == null ? null : notes.toString(), session, agent, toolCall, budgetWarning, brake,
                downgraded);
    }

    /** GenAI semantic conventions' operation name. */
    public static String operation(Api api) {
        if (api == null) {
            return "chat";
        }
        return switch (api) {
            case CHAT_COMPLETIONS, RESPONSES, RESPONSES_COMPACT, MESSAGES, GEMINI, CONVERSE -> "chat";
            case EMBEDDINGS -> "embeddings";
        };
    }
}
