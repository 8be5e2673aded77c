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
 * tollgate.management.port         TOLLGATE_MANAGEMENT_PORT          --management-port  (GET /metrics without a token; 0 = none)
 * tollgate.metrics.token           TOLLGATE_METRICS_TOKEN            (scrape token on the main port: the token, env:NAME or file:PATH)
 * tollgate.audit.key-file          TOLLGATE_AUDIT_KEY_FILE           (HMAC key of the audit chain, a file outside the state dir)
 * </pre>
 *
 * @param managementPort a second listener, on the same host, serving {@code /metrics} without a token; 0 = none
 * @param metricsToken   the token {@code /metrics} on the main port accepts besides admin tokens, as given
 *                       (the token itself, {@code env:NAME} or {@code file:PATH}, read at each scrape); empty = admin tokens only
 */
public record TelemetrySettings(boolean requestLog, Duration retention, int queue, boolean otel, String otelEndpoint,
                                double otelSampling, int managementPort, java.util.Optional<String> metricsToken,
                                java.util.Optional<Path> auditKeyFile) {

    public TelemetrySettings(boolean requestLog, Duration retention, int queue, boolean otel, String otelEndpoint, double otelSampling) {
        this(requestLog, retention, queue, otel, otelEndpoint, otelSampling, 0, java.util.Optional.empty(), java.util.Optional.empty());
    }

    public static final Map<String, String> FLAGS = Map.of(
            "--request-log", "tollgate.requests.log",
            "--request-retention", "tollgate.requests.retention",
            "--otel", "tollgate.otel.enabled",
            "--otel-endpoint", "tollgate.otel.endpoint",
            "--otel-sampling", "tollgate.otel.sampling",
            "--management-port", "tollgate.management.port");

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
                sampling,
                managementPort(config.get("management.port").asString().orElse("")),
                config.get("metrics.token").asString().asOptional().map(String::trim).filter(v -> !v.isEmpty()),
                config.get("audit.key-file").asString().asOptional().map(String::trim).filter(v -> !v.isEmpty()).map(Path::of));
    }

    public TelemetrySettings withOtel(String endpoint, double sampling) {
        return new TelemetrySettings(requestLog, retention, queue, true, endpoint, sampling, managementPort, metricsToken, auditKeyFile);
    }

    /** The same with a management port ({@code 0} = none) and a scrape token reference. */
    public TelemetrySettings withMetrics(int port, String token) {
        return new TelemetrySettings(requestLog, retention, queue, otel, otelEndpoint, otelSampling, port,
                java.util.Optional.ofNullable(token).filter(t -> !t.isBlank()), auditKeyFile);
    }

    /** The same with the audit chain keyed by the key in {@code file}. */
    public TelemetrySettings withAuditKey(Path file) {
        return new TelemetrySettings(requestLog, retention, queue, otel, otelEndpoint, otelSampling, managementPort, metricsToken,
                java.util.Optional.ofNullable(file));
    }

    /** Empty means none, as does 0. */
    private static int managementPort(String text) {
        if (text.isBlank()) {
            return 0;
        }
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("tollgate.management.port must be a port number (1-65535), or empty or 0 for none, not '"
                + text + "'");
    }
}
