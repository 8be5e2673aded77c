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
 * </pre>
 *
 * @param maxConnections client connections open at once, before clamping to the descriptor limit
 */
public record ConnectionSettings(int maxConnections, Duration headTimeout, Duration bodyTimeout, Duration idleTimeout) {

    public ConnectionSettings {
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
            "--idle-timeout", "tollgate.connections.timeout.idle");

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
        Config config = Config.builder().sources(sources).disableSystemPropertiesSource().disableEnvironmentVariablesSource()
                .build().get("tollgate.connections");
        return new ConnectionSettings(
                config.get("max").asInt().orElse(10_000),
                seconds(config.get("timeout.head").asDouble().orElse(30.0)),
                seconds(config.get("timeout.body").asDouble().orElse(60.0)),
                seconds(config.get("timeout.idle").asDouble().orElse(60.0)));
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis((long) (s * 1000));
    }

    public ConnectionSettings withTimeouts(Duration head, Duration body, Duration idle) {
        return new ConnectionSettings(maxConnections, head, body, idle);
    }
}
