package dev.tollgate.server.telemetry;

import dev.tollgate.server.gitops.PolicyStatus;
import dev.tollgate.server.gitops.PolicyWatcher;
import dev.tollgate.server.trace.RequestRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Micrometer meters in Prometheus form: the OpenTelemetry GenAI conventions (dots become underscores)
 * and the gateway's own. Every label value comes from the policy or a fixed set, never from raw input,
 * so the number of series stays bounded; anything else is "other".
 */
public final class GatewayMetrics {

    /** The GenAI conventions' bucket boundaries (seconds) for durations and time to first token. */
    private static final double[] DURATION_BUCKETS = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
            40.96, 81.92};
    private static final double[] PER_TOKEN_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};
    private static final double[] OVERHEAD_BUCKETS = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1};
    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
            16777216, 67108864};

    private static final java.util.regex.Pattern HTTP_OUTCOME = java.util.regex.Pattern.compile("http_\\d{3}");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MultiGauge policyInfo;
    private volatile PolicyWatcher watcher;
    private volatile GovernanceGauges governance;

    public GatewayMetrics() {
        policyInfo = MultiGauge.builder("tollgate.policy.info").description("The policy version (Git commit) in force.").register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Reload counts, the active commit and the source's health, read from the watcher at each scrape. */
    public void watch(PolicyWatcher watcher) {
        this.watcher = watcher;
        for (PolicyStatus.Result result : PolicyStatus.Result.values()) {
            FunctionCounter.builder("tollgate.policy.reloads", watcher, w -> w.status().reloads().getOrDefault(result, 0L))
                    .description("Looks at the policy source, by result.")
                    .tag("result", result.id())
                    .register(registry);
        }
        Gauge.builder("tollgate.policy.last.reload.invalid", watcher, w -> w.status().lastErrors().isEmpty() ? 0 : 1)
                .description("1 when the newest version tried did not validate.")
                .register(registry);
        Gauge.builder("tollgate.policy.source.degraded", watcher, w -> w.status().degraded().isPresent() ? 1 : 0)
                .description("1 when the policy source cannot be reached.")
                .register(registry);
    }

    public void requestLog(RequestLog log) {
        FunctionCounter.builder("tollgate.request.log.dropped", log, RequestLog::dropped)
                .description("Request log records dropped because the writer's queue was full (the requests themselves were served).")
                .register(registry);
        Gauge.builder("tollgate.request.log.queued", log, RequestLog::queued).register(registry);
    }

    /** Budgets left and circuit states, read from these at each scrape for what the policy in force declares. */
    public void track(dev.tollgate.server.budget.Spend spend, dev.tollgate.server.route.Upstreams upstreams) {
        governance = new GovernanceGauges(registry, spend, upstreams);
    }

    /** The Prometheus text, with the policy commit, budget and circuit gauges refreshed first. */
    public String scrape(dev.tollgate.policy.PolicySnapshot current) {
        String version = watcher != null ? watcher.status().active().version() : current.version();
        policyInfo.register(List.of(MultiGauge.Row.of(Tags.of("version", version), 1)), true);
        GovernanceGauges g = governance;
        if (g != null) {
            g.refresh(current);
        }
        return registry.scrape();
    }

    /**
     * Meters by name and tag values, looked up once per request instead of rebuilt by Micrometer's
     * builders (a sorted Meter.Id each time). Bounded like the labels themselves.
     */
    private final Map<List<String>, Meter> meters = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    private <M extends Meter> M meter(Function<Tags, M> create, String name, String... tags) {
        String[] key = Arrays.copyOf(tags, tags.length + 1);
        key[tags.length] = name;
        return (M) meters.computeIfAbsent(Arrays.asList(key), k -> create.apply(Tags.of(tags)));
    }

    private Counter counter(String name, String description, String... tags) {
        return meter(t -> Counter.builder(name).description(description).tags(t).register(registry), name, tags);
    }

    private Timer timer(String name, String description, double[] buckets, String... tags) {
        return meter(t -> Timer.builder(name).description(description).tags(t).serviceLevelObjectives(durations(buckets))
                .register(registry), name, tags);
    }

    /** A budget's downgrade sent a request to a cheaper model. */
    void downgraded() {
        counter("tollgate.budget.downgrades", "Requests a budget's downgrade sent to a cheaper model than they asked for.").increment();
    }

    /** Session governance of one finished request: a budget warning, a refusal of the runaway brake (by its rule, a fixed set). */
    void session(boolean budgetWarning, String brake) {
        if (budgetWarning) {
            counter("tollgate.budget.warnings", "Answers that carried a budget warning (warn_at_percent).").increment();
        }
        if (brake != null) {
            String rule = switch (brake) {
                case "repeated_tool_call", "requests_per_minute", "usd_per_minute" -> brake;
                default -> "other";
            };
            counter("tollgate.session.brake.refusals", "Requests the runaway brake refused, by the rule that paused their session.",
                    "rule", rule).increment();
        }
    }

    /** One finished request; {@code labels} already bounded by the caller. */
    void record(RequestRecord r, Labels labels) {
        Series s = series.computeIfAbsent(new SeriesKey(r.surface(), r.status(), labels.operation(), labels.providerName(),
                labels.requestModel(), labels.responseModel(), labels.errorType()), Series::new);
        s.requests.increment();
        s.duration.record((long) (r.latencyMillis() * 1e6), TimeUnit.NANOSECONDS);
        s.overhead.record((long) (r.overheadMillis() * 1e6), TimeUnit.NANOSECONDS);
        String reqModel = labels.requestModel();
        if (r.fallbacks() > 0) {
            counter("tollgate.fallbacks", "Upstream attempts after the first (retries and fallbacks).", "gen_ai.request.model", reqModel)
                    .increment(r.fallbacks());
        }
        for (RequestRecord.Attempt a : r.attempts()) {
            counter("tollgate.upstream.attempts", "Upstream attempts by provider and outcome.",
                    "provider", labels.providerId(a.provider()), "outcome", outcome(a.outcome())).increment();
        }
        if (r.model() == null) {
            return;
        }
        s.input().record(r.inputTokens());
        s.output().record(r.outputTokens());
        tokens(reqModel, "cached_input", r.cachedTokens());
        tokens(reqModel, "cache_write", r.cacheWriteTokens());
        tokens(reqModel, "reasoning", r.reasoningTokens());
        String op = labels.operation();
        String provider = labels.providerName();
        String resModel = labels.responseModel();
        if (r.ttftMillis() != null && r.stream()) {
            timer("gen_ai.server.time_to_first_token", "Time to the first byte of a streamed answer.", DURATION_BUCKETS,
                    "gen_ai.operation.name", op, "gen_ai.provider.name", provider, "gen_ai.request.model", reqModel,
                    "gen_ai.response.model", resModel).record((long) (r.ttftMillis() * 1e6), TimeUnit.NANOSECONDS);
            if (r.outputTokens() > 1) {
                double perToken = (r.latencyMillis() - r.ttftMillis()) / (r.outputTokens() - 1);
                timer("gen_ai.server.time_per_output_token", "Time per output token after the first.", PER_TOKEN_BUCKETS,
                        "gen_ai.operation.name", op, "gen_ai.provider.name", provider, "gen_ai.request.model", reqModel,
                        "gen_ai.response.model", resModel).record((long) (perToken * 1e6), TimeUnit.NANOSECONDS);
            }
        }
        if (r.costUsd() != null) {
            counter("tollgate.cost.usd", "Spend in USD by team, key and model (priced from the policy).",
                    "team", labels.team(), "key", labels.key(), "gen_ai.request.model", reqModel).increment(r.costUsd().doubleValue());
        }
    }

    /**
     * What one kind of request is recorded under: its surface, status and model labels. Not its key
     * or team, so there are as many as the policy has models, not models times keys.
     */
    private record SeriesKey(String surface, int status, String operation, String provider, String requestModel, String responseModel,
                             String errorType) {
    }

    /**
     * The meters every request of one {@link SeriesKey} records into, found with one lookup instead of
     * one per meter. Those not every request needs are made on first use, so that no series shows up
     * in the scrape before it has a value; {@link #meter} makes each once, so a race only looks twice.
     */
    private final class Series {
        final Counter requests;
        final Timer duration;
        final Timer overhead;
        private final SeriesKey k;
        private volatile DistributionSummary input;
        private volatile DistributionSummary output;

        Series(SeriesKey k) {
            this.k = k;
            requests = counter("tollgate.requests", "Requests by surface, status and error type.",
                    "surface", k.surface(), "status", Integer.toString(k.status()), "error_type", k.errorType());
            duration = timer("gen_ai.server.request.duration", "GenAI request duration as the gateway served it.", DURATION_BUCKETS,
                    "gen_ai.operation.name", k.operation(), "gen_ai.provider.name", k.provider(), "gen_ai.request.model", k.requestModel(),
                    "gen_ai.response.model", k.responseModel(), "error.type", k.errorType());
            overhead = timer("tollgate.overhead", "Time the gateway spent on a request outside upstream calls.", OVERHEAD_BUCKETS,
                    "surface", k.surface());
        }

        DistributionSummary input() {
            DistributionSummary d = input;
            if (d == null) {
                input = d = usage("input");
            }
            return d;
        }

        DistributionSummary output() {
            DistributionSummary d = output;
            if (d == null) {
                output = d = usage("output");
            }
            return d;
        }

        private DistributionSummary usage(String type) {
            return meter(t -> DistributionSummary.builder("gen_ai.client.token.usage").description("Tokens used, by gen_ai.token.type.")
                            .tags(t).serviceLevelObjectives(TOKEN_BUCKETS).register(registry),
                    "gen_ai.client.token.usage", "gen_ai.operation.name", k.operation(), "gen_ai.provider.name", k.provider(),
                    "gen_ai.request.model", k.requestModel(), "gen_ai.response.model", k.responseModel(), "gen_ai.token.type", type);
        }
    }

    private final Map<SeriesKey, Series> series = new ConcurrentHashMap<>();

    private void tokens(String model, String type, long n) {
        if (n > 0) {
            counter("tollgate.tokens", "Tokens by kind, the cache and reasoning ones included.", "type", type, "gen_ai.request.model", model)
                    .increment(n);
        }
    }

    private static String outcome(String outcome) {
        return switch (outcome) {
            case "ok", "timeout", "connect", "reset", "abandoned", "not_ready" -> outcome;
            default -> HTTP_OUTCOME.matcher(outcome).matches() ? outcome : "other";
        };
    }

    private static Duration[] durations(double[] seconds) {
        Duration[] out = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return out;
    }

    /** Label values for one request, each from the policy or a fixed set. */
    record Labels(String operation, String providerName, String requestModel, String responseModel, String errorType,
                  String team, String key, java.util.function.Function<String, String> providerIds) {

        String providerId(String id) {
            return providerIds.apply(id);
        }
    }
}
