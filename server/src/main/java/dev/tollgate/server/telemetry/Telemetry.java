package dev.tollgate.server.telemetry;

import dev.tollgate.policy.PolicyDiff;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Pricing;
import dev.tollgate.server.audit.AuditEvent;
import dev.tollgate.server.call.Transport;
import dev.tollgate.server.audit.AuditLog;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.gitops.PolicyStatus;
import dev.tollgate.server.gitops.PolicyWatcher;
import dev.tollgate.server.trace.RequestRecord;
import dev.tollgate.server.trace.RequestTrace;
import dev.tollgate.server.trace.Tracing;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The request log, metrics and traces behind one hook: a filter around every API request that opens
 * a {@link RequestTrace}, lets the stages report into it, and at the end turns it into one
 * {@link RequestRecord} for the log (queued), the metrics (in memory) and the span (batched export).
 */
public final class Telemetry implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Telemetry.class.getName());
    /** An error type fit for a label; anything else is "other". */
    private static final java.util.regex.Pattern ERROR_TYPE = java.util.regex.Pattern.compile("[a-z_0-9]{1,40}");
    /** Response header with the request's id, to find it in the request log. */
    public static final String REQUEST_ID_HEADER = "x-tollgate-request-id";

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final RequestLog log;
    private final Tracing tracing;

    private final AuditLog audit;
    private final TelemetrySettings settings;

    private Telemetry(TelemetrySettings settings, RequestLog log, Tracing tracing, AuditLog audit) {
        this.settings = settings;
        this.log = log;
        this.audit = audit;
        this.tracing = tracing;
        if (log != null) {
            metrics.requestLog(log);
        }
    }

    /** @param stateDir where {@code requests.db} lives; null keeps no request log (metrics and traces only) */
    public static Telemetry create(TelemetrySettings settings, Path stateDir) {
        RequestLog log = settings.requestLog() && stateDir != null
                ? RequestLog.open(stateDir.resolve("requests.db"), settings.queue(), settings.retention()) : null;
        Tracing tracing = settings.otel() ? Tracing.otlp(settings.otelEndpoint(), settings.otelSampling()) : Tracing.off();
        AuditLog audit = stateDir == null ? null : AuditLog.open(stateDir.resolve("audit.log"),
                settings.auditKeyFile().map(f -> dev.tollgate.server.audit.AuditKey.load(f, stateDir)).orElse(null));
        return new Telemetry(settings, log, tracing, audit);
    }

    public TelemetrySettings settings() {
        return settings;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /** Null when the request log is off. */
    public RequestLog log() {
        return log;
    }

    public Tracing tracing() {
        return tracing;
    }

    /** Null when there is no state directory. */
    public AuditLog audit() {
        return audit;
    }

    /** Policy metrics from the watcher; each swap (and the version at start) into the audit trail. */
    public void watch(PolicyWatcher watcher, PolicyHolder holder) {
        metrics.watch(watcher);
        if (audit == null) {
            return;
        }
        PolicyStatus start = watcher.status();
        audit.append(new AuditEvent.PolicyLoaded(start.active().version(), start.active().author().orElse(null), start.source()));
        if (watcher instanceof dev.tollgate.server.gitops.GitPolicyWatcher git) {
            git.onRefused(r -> audit.append(new AuditEvent.PolicyRefused(r.commit(), r.author().orElse(null),
                    r.claimedSigner().orElse(null), r.reason())));
        }
        holder.onSwap((previous, next) -> {
            try {
                // The watcher publishes its status before the swap, so it already describes `next`.
                PolicyStatus.Revision active = watcher.status().active();
                boolean described = active.version().equals(next.version());
                audit.append(new AuditEvent.PolicyApplied(next.version(), previous.version(),
                        described ? active.author().orElse(null) : null, watcher.signer(next.version()).orElse(null),
                        described ? active.message().orElse(null) : null, PolicyDiff.between(previous.policy(), next.policy())));
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "audit trail: policy " + next.version() + " could not be recorded", e);
            }
        });
    }

    /** Which nodes an export covers; one gateway alone until {@code exportCoverage(supplier)} says otherwise. */
    private volatile java.util.function.Supplier<RequestExport.Coverage> coverage = RequestExport.Coverage.Alone::new;

    /** Set once the node knows its peers (Redis mode). */
    public void exportCoverage(java.util.function.Supplier<RequestExport.Coverage> coverage) {
        this.coverage = coverage;
    }

    RequestExport.Coverage exportCoverage() {
        return coverage.get();
    }

    /** Where records of agent sessions also go (Redis mode: every node's session totals); must not wait. */
    private volatile java.util.function.Consumer<RequestRecord> sessionTotals = r -> { };

    void sessionTotals(java.util.function.Consumer<RequestRecord> sink) {
        this.sessionTotals = sink;
    }

    /** The hook (after the policy pin, so the commit is known) and {@code /metrics}, {@code /admin/requests}. */
    public void register(HttpRouting.Builder routing, PolicyHolder policy) {
        routing.addFilter((chain, req, res) -> {
            String surface = surface(req);
            if (surface == null) {
                chain.proceed();
                return;
            }
            RequestTrace trace = begin(req, surface);
            res.header(REQUEST_ID_HEADER, trace.id());
            trace.attach(req);
            try {
                chain.proceed();
            } finally {
                finish(trace, policy.forRequest(), res.status().code());
            }
        });
        new TelemetryRoutes(policy, this, new MetricsAccess(settings.metricsToken())).register(routing);
    }

    /** The management listener's routes ({@code /metrics} without a token), when it has one. */
    public void registerManagement(HttpRouting.Builder routing, PolicyHolder policy) {
        new TelemetryRoutes(policy, this, new MetricsAccess(settings.metricsToken())).registerManagement(routing);
    }

    private static final io.helidon.http.HeaderName SOCKET_HEADER = HeaderNames.create(Transport.SOCKET_HEADER);

    /** The surface of an API call (a POST under a client base URL), or null for anything else. */
    static String surface(ServerRequest req) {
        if (req.prologue().method() != Method.POST) {
            return null;
        }
        String path = req.path().path();
        if (path.startsWith("/v1/") || path.startsWith("/openai/")) {
            // A response.create frame of a Responses WebSocket, served through the gateway's own POST.
            return Transport.fromSocket(req.headers().first(SOCKET_HEADER).orElse(null)) ? "openai-websocket" : "openai";
        }
        if (path.startsWith("/anthropic/")) {
            return "anthropic";
        }
        if (path.startsWith("/genai/") || path.startsWith("/v1beta/")) {
            return "gemini";
        }
        return null;
    }

    private RequestTrace begin(ServerRequest req, String surface) {
        Tracing.ServerSpan span = tracing.start(req.prologue().method().text(), req.path().path(),
                name -> req.headers().first(HeaderNames.create(name)).orElse(null));
        String client = req.headers().first(HeaderNames.USER_AGENT).map(Telemetry::client).orElse(null);
        return new RequestTrace(newId(), surface, client, span);
    }

    /** {@code codex_exec/0.169.0 (Linux; x86_64) ...} -> {@code codex_exec/0.169.0}: the product token only. */
    static String client(String userAgent) {
        String first = userAgent.strip().split("\\s+", 2)[0];
        String clean = first.replaceAll("[^A-Za-z0-9._/@+-]", "");
        return clean.isEmpty() ? null : clean.substring(0, Math.min(clean.length(), 64));
    }

    private static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "req_" + Long.toHexString(System.currentTimeMillis()) + java.util.HexFormat.of().toHexDigits(r.nextLong());
    }

    /** The one place a request's facts leave it: never throws into the request, never waits on a disk or network. */
    void finish(RequestTrace trace, PolicySnapshot snapshot, int responseStatus) {
        String id = trace.id();
        try {
            RequestTrace.Facts t = trace.close();
            long now = System.nanoTime();
            int status = responseStatus;
            // A failure no stage reported into the trace still gets a bounded type.
            String errorType = status >= 400 && t.errorType() == null ? "http_" + status : t.errorType();
            BigDecimal cost = t.cost() != null ? t.cost() : price(snapshot, t);
            RequestRecord r = new RequestRecord(t.id(), t.time(), t.keyId(), t.team(), t.customer(), t.surface(),
                    t.api() == null ? null : apiName(t.api()), t.client(), t.requestedModel(), t.provider(), t.upstreamModel(),
                    List.copyOf(t.attempts()), status, errorType, t.stream(), t.usage().inputTokens(), t.usage().outputTokens(),
                    t.usage().cachedInputTokens(), t.usage().cacheWriteTokens(), t.usage().reasoningTokens(), cost,
                    (now - t.startNanos()) / 1e6, t.firstByteNanos() == 0 ? null : (t.firstByteNanos() - t.startNanos()) / 1e6,
                    t.upstreamNanos() / 1e6, snapshot.version(), t.span().traceId(),
                    t.content() == null ? null : t.content().toContent(t.api(), t.stream()), t.notes(), t.session(), t.agent(), t.toolCall());
            GatewayMetrics.Labels labels = labels(t, errorType, snapshot);
            metrics.record(r, labels);
            metrics.session(t.budgetWarning(), t.brake());
            if (t.downgraded()) {
                metrics.downgraded();
            }
            t.span().end(r, labels.requestModel());
            if (log != null) {
                log.offer(r);
            }
            if (r.session() != null) {
                sessionTotals.accept(r);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "telemetry failed for request " + id, e);
        }
    }

    static String apiName(dev.tollgate.providers.Api api) {
        return switch (api) {
            case CHAT_COMPLETIONS -> "chat.completions";
            case RESPONSES -> "responses";
            case RESPONSES_COMPACT -> "responses.compact";
            case EMBEDDINGS -> "embeddings";
            case MESSAGES -> "messages";
            case GEMINI -> "generate_content";
            case CONVERSE -> "converse";
        };
    }

    /** Prices real usage with the policy's table (the governance stage's settled cost wins when it has one). */
    private static BigDecimal price(PolicySnapshot snapshot, RequestTrace.Facts t) {
        if (t.upstreamModel() == null || t.usage().totalTokens() == 0 && t.usage().cacheWriteTokens() == 0) {
            return t.upstreamModel() == null ? null : BigDecimal.ZERO;
        }
        return snapshot.pricing(t.upstreamModel())
                .or(() -> t.catalogModel() == null ? java.util.Optional.<Pricing>empty() : snapshot.pricing(t.catalogModel()))
                .map(p -> BigDecimal.valueOf(dev.tollgate.server.budget.Prices.cost(p, t.usage()), 9))
                .orElse(null);
    }

    /** Label values from the policy only: a name the policy does not declare becomes "other". */
    /**
     * A {@code provider/model} name as its own label when the policy declares that provider: the whole
     * name when the catalog routes to that model too, else {@code provider/other}; anything else is
     * {@code other}. Either way the labels are the policy's names, never a client's.
     */
    static String directName(String requested, PolicySnapshot snapshot) {
        int slash = requested == null ? -1 : requested.indexOf('/');
        if (slash <= 0 || snapshot.provider(requested.substring(0, slash)).isEmpty()) {
            return "other";
        }
        return snapshot.declaresTarget(requested) ? requested : requested.substring(0, slash) + "/other";
    }

    private static GatewayMetrics.Labels labels(RequestTrace.Facts t, String errorType, PolicySnapshot snapshot) {
        String direct = directName(t.requestedModel(), snapshot);
        String requestModel = t.requestedModel() == null ? "none" : t.catalogModel() != null ? t.catalogModel() : direct;
        // The upstream model is the policy's own name only for a catalog model or a target it declares.
        boolean declared = t.catalogModel() != null || t.requestedModel() != null && snapshot.declaresTarget(t.requestedModel());
        String responseModel = t.upstreamModel() == null ? "none" : declared ? t.upstreamModel() : "other";
        String key = t.keyId() != null && snapshot.key(t.keyId()).isPresent() ? t.keyId() : t.keyId() == null ? "none" : "other";
        String team = t.team() != null && snapshot.team(t.team()).isPresent() ? t.team() : t.team() == null ? "none" : "other";
        String error = errorType == null ? "none" : ERROR_TYPE.matcher(errorType).matches() ? errorType : "other";
        return new GatewayMetrics.Labels(RequestTrace.operation(t.api()), t.providerKind() == null ? "none" : Tracing.semconvProvider(t.providerKind()),
                requestModel, responseModel, error, team, key, id -> snapshot.provider(id).isPresent() ? id : "other");
    }

    @Override
    public void close() {
        tracing.close();
        if (log != null) {
            log.close();
        }
    }
}
