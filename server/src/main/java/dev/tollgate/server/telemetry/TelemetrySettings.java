package dev.tollgate.server.telemetry;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The telemetry part of the server settings, read from the same sources as
 * {@link dev.tollgate.server.settings.ServerSettings} (flag over environment over file over defaults):
 *
 * <pre>
 * key                              env                               flag
 * tollgate.requests.log            TOLLGATE_REQUESTS_LOG             --request-log      (true/false)
 * tollgate.requests.retention      TOLLGATE_REQUESTS_RETENTION       --request-retention (days; 0 = keep)
 * tollgate.requests.queue          TOLLGATE_REQUESTS_QUEUE           (records waiting for the writer)
 * tollgate.otel.enabled            TOLLGATE_OTEL_ENABLED             --otel             (true/false)
 * tollgate.otel.endpoint           TOLLGATE_OTEL_ENDPOINT            --otel-endpoint    (OTLP/HTTP traces URL)
 * tollgate.otel.sampling           TOLLGATE_OTEL_SAMPLING            --otel-sampling    (0..1 of new traces)
 * </pre>
 */
public record TelemetrySettings(boolean requestLog, Duration retention, int queue, boolean otel, String otelEndpoint,
                                double otelSampling) {

    public static final Map<String, String> FLAGS = Map.of(
            "--request-log", "tollgate.requests.log",
            "--request-retention", "tollgate.requests.retention",
            "--otel", "tollgate.otel.enabled",
            "--otel-endpoint", "tollgate.otel.endpoint",
            "--otel-sampling", "tollgate.otel.sampling");

    public static TelemetrySettings defaults() {
        return load(Map.of(), null);
    }

    public static TelemetrySettings load(Map<String, String> flags, Path configFile) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.environmentVariables());
        if (configFile != null) {
            sources.add(ConfigSources.file(configFile));
        }
        sources.add(ConfigSources.classpath("tollgate-defaults.yaml"));
        Config config = Config.builder().sources(sources).disableSystemPropertiesSource().disableEnvironmentVariablesSource()
                .build().get("tollgate");
        double sampling = config.get("otel.sampling").asDouble().orElse(1.0);
        if (sampling < 0 || sampling > 1) {
            throw new IllegalArgumentException("tollgate.otel.sampling must be between 0 and 1, not " + sampling);
        }
        return new TelemetrySettings(
                config.get("requests.log").asBoolean().orElse(true),
                Duration.ofMillis((long) (config.get("requests.retention").asDouble().orElse(30.0) * 86_400_000)),
                config.get("requests.queue").asInt().orElse(65536),
                config.get("otel.enabled").asBoolean().orElse(false),
                config.get("otel.endpoint").asString().orElse("http://127.0.0.1:4318/v1/traces"),
                sampling);
    }

    public TelemetrySettings withOtel(String endpoint, double sampling) {
        return new TelemetrySettings(requestLog, retention, queue, true, endpoint, sampling);
    }
}
