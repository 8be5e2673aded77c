package dev.tollgate.server.telemetry;

import dev.tollgate.server.policy.PolicyStatus;
import dev.tollgate.server.policy.PolicyWatcher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
            16777216, 67108864};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MultiGauge policyInfo;
    private volatile PolicyWatcher watcher;

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

    /** The Prometheus text, with the policy commit gauge refreshed first. */
    public String scrape(String currentVersion) {
        String version = watcher != null ? watcher.status().active().version() : currentVersion;
        policyInfo.register(List.of(MultiGauge.Row.of(Tags.of("version", version), 1)), true);
        return registry.scrape();
    }

    /** One finished request; {@code labels} already bounded by the caller. */
    void record(RequestRecord r, Labels labels) {
        Tags genai = Tags.of("gen_ai.operation.name", labels.operation(), "gen_ai.provider.name", labels.providerName(),
                "gen_ai.request.model", labels.requestModel(), "gen_ai.response.model", labels.responseModel());
        Counter.builder("tollgate.requests").description("Requests by surface, status and error type.")
                .tags("surface", r.surface(), "status", Integer.toString(r.status()), "error_type", labels.errorType())
                .register(registry).increment();
        Timer.builder("gen_ai.server.request.duration").description("GenAI request duration as the gateway served it.")
                .tags(genai).tag("error.type", labels.errorType())
                .serviceLevelObjectives(durations(DURATION_BUCKETS))
                .register(registry).record(Duration.ofNanos((long) (r.latencyMillis() * 1e6)));
        Timer.builder("tollgate.overhead").description("Time the gateway spent on a request outside upstream calls.")
                .tags("surface", r.surface())
                .serviceLevelObjectives(durations(new double[]{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1}))
                .register(registry).record((long) (r.overheadMillis() * 1e6), TimeUnit.NANOSECONDS);
        if (r.fallbacks() > 0) {
            Counter.builder("tollgate.fallbacks").description("Upstream attempts after the first (retries and fallbacks).")
                    .tags("gen_ai.request.model", labels.requestModel())
                    .register(registry).increment(r.fallbacks());
        }
        for (RequestRecord.Attempt a : r.attempts()) {
            Counter.builder("tollgate.upstream.attempts").description("Upstream attempts by provider and outcome.")
                    .tags("provider", labels.providerId(a.provider()), "outcome", outcome(a.outcome()))
                    .register(registry).increment();
        }
        if (r.model() == null) {
            return;
        }
        DistributionSummary.builder("gen_ai.client.token.usage").description("Tokens used, by gen_ai.token.type.")
                .tags(genai).tag("gen_ai.token.type", "input").serviceLevelObjectives(TOKEN_BUCKETS)
                .register(registry).record(r.inputTokens());
        DistributionSummary.builder("gen_ai.client.token.usage").description("Tokens used, by gen_ai.token.type.")
                .tags(genai).tag("gen_ai.token.type", "output").serviceLevelObjectives(TOKEN_BUCKETS)
                .register(registry).record(r.outputTokens());
        tokens(labels, "cached_input", r.cachedTokens());
        tokens(labels, "cache_write", r.cacheWriteTokens());
        tokens(labels, "reasoning", r.reasoningTokens());
        if (r.ttftMillis() != null && r.stream()) {
            Timer.builder("gen_ai.server.time_to_first_token").description("Time to the first byte of a streamed answer.")
                    .tags(genai).serviceLevelObjectives(durations(DURATION_BUCKETS))
                    .register(registry).record((long) (r.ttftMillis() * 1e6), TimeUnit.NANOSECONDS);
            if (r.outputTokens() > 1) {
                double perToken = (r.latencyMillis() - r.ttftMillis()) / (r.outputTokens() - 1);
                Timer.builder("gen_ai.server.time_per_output_token").description("Time per output token after the first.")
                        .tags(genai).serviceLevelObjectives(durations(PER_TOKEN_BUCKETS))
                        .register(registry).record((long) (perToken * 1e6), TimeUnit.NANOSECONDS);
            }
        }
        if (r.costUsd() != null) {
            Counter.builder("tollgate.cost.usd").description("Spend in USD by team, key and model (priced from the policy).")
                    .tags("team", labels.team(), "key", labels.key(), "gen_ai.request.model", labels.requestModel())
                    .register(registry).increment(r.costUsd().doubleValue());
        }
    }

    private void tokens(Labels labels, String type, long n) {
        if (n > 0) {
            Counter.builder("tollgate.tokens").description("Tokens by kind, the cache and reasoning ones included.")
                    .tags("type", type, "gen_ai.request.model", labels.requestModel())
                    .register(registry).increment(n);
        }
    }

    private static String outcome(String outcome) {
        return switch (outcome) {
            case "ok", "timeout", "connect", "reset", "abandoned", "not_ready" -> outcome;
            default -> outcome.matches("http_\\d{3}") ? outcome : "other";
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
