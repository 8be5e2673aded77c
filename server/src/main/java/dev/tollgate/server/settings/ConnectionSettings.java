package dev.tollgate.server.settings;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * How the listener treats client connections, read from the same sources as {@link ServerSettings}
 * (flag over environment over file over defaults):
 *
 * <pre>
 * key                                 env                                  flag
 * tollgate.connections.max            TOLLGATE_CONNECTIONS_MAX             --max-connections (open at once; more wait in the OS backlog)
 * tollgate.connections.timeout.head   TOLLGATE_CONNECTIONS_TIMEOUT_HEAD    --head-timeout    (seconds for a new connection's first request head)
 * tollgate.connections.timeout.body   TOLLGATE_CONNECTIONS_TIMEOUT_BODY    --body-timeout    (seconds between two reads of a request body)
 * tollgate.connections.timeout.idle   TOLLGATE_CONNECTIONS_TIMEOUT_IDLE    --idle-timeout    (seconds a kept-alive connection waits for its next request head)
 * tollgate.http2                      TOLLGATE_HTTP2                       --http2           (on, tls-only or off: where HTTP/2 is served)
 * </pre>
 *
 * @param maxConnections client connections open at once, before clamping to the descriptor limit
 * @param http2          where the listener serves HTTP/2
 */
public record ConnectionSettings(int maxConnections, Duration headTimeout, Duration bodyTimeout, Duration idleTimeout, Http2Mode http2) {

    /** Where HTTP/2 is served: h2 by ALPN on HTTPS, and h2c by prior knowledge on plain HTTP. */
    public enum Http2Mode {
        /** h2 by ALPN on HTTPS; h2c by prior knowledge on plain HTTP. */
        ON,
        /** h2 by ALPN on HTTPS only; plain HTTP stays HTTP/1.1. */
        TLS_ONLY,
        /** HTTP/1.1 only. */
        OFF;

        /** @throws IllegalArgumentException naming the accepted values */
        public static Http2Mode parse(String value) {
            return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "on", "true" -> ON;
                case "tls-only", "tls_only" -> TLS_ONLY;
                case "off", "false" -> OFF;
                default -> throw new IllegalArgumentException("tollgate.http2 must be on, tls-only or off, not '" + value + "'");
            };
        }

        /** Whether h2 is served on a listener with ({@code tls}) or without TLS. */
        public boolean served(boolean tls) {
            return this == ON || this == TLS_ONLY && tls;
        }
    }

    public ConnectionSettings(int maxConnections, Duration headTimeout, Duration bodyTimeout, Duration idleTimeout) {
        this(maxConnections, headTimeout, bodyTimeout, idleTimeout, Http2Mode.ON);
    }

    public ConnectionSettings {
        java.util.Objects.requireNonNull(http2, "http2");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("tollgate.connections.max must be at least 1, not " + maxConnections);
        }
        for (Duration d : List.of(headTimeout, bodyTimeout, idleTimeout)) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("tollgate.connections.timeout.* must be above 0 seconds, not " + d.toMillis() / 1000.0);
            }
        }
    }

    public static final Map<String, String> FLAGS = Map.of(
            "--max-connections", "tollgate.connections.max",
            "--head-timeout", "tollgate.connections.timeout.head",
            "--body-timeout", "tollgate.connections.timeout.body",
            "--idle-timeout", "tollgate.connections.timeout.idle",
            "--http2", "tollgate.http2");

    public static ConnectionSettings defaults() {
        return load(Map.of(), null);
    }

    public static ConnectionSettings load(Map<String, String> flags, Path configFile) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.environmentVariables());
        if (configFile != null) {
            sources.add(ConfigSources.file(configFile));
        }
        sources.add(ConfigSources.classpath("tollgate-defaults.yaml"));
        Config root = Config.builder().sources(sources).disableSystemPropertiesSource().disableEnvironmentVariablesSource()
                .build().get("tollgate");
        Config config = root.get("connections");
        return new ConnectionSettings(
                config.get("max").asInt().orElse(10_000),
                seconds(config.get("timeout.head").asDouble().orElse(30.0)),
                seconds(config.get("timeout.body").asDouble().orElse(60.0)),
                seconds(config.get("timeout.idle").asDouble().orElse(60.0)),
                Http2Mode.parse(root.get("http2").asString().orElse("on")));
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis((long) (s * 1000));
    }

    public ConnectionSettings withTimeouts(Duration head, Duration body, Duration idle) {
        return new ConnectionSettings(maxConnections, head, body, idle, http2);
    }

    public ConnectionSettings withHttp2(Http2Mode mode) {
        return new ConnectionSettings(maxConnections, headTimeout, bodyTimeout, idleTimeout, mode);
    }
}
