package dev.tollgate.server.settings;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The server's own settings (not the policy). Each has a key in the settings file, an environment
 * variable and a command-line flag; the flag wins over the variable, the variable over the file.
 *
 * <pre>
 * key                      env                        flag
 * tollgate.host            TOLLGATE_HOST              --host
 * tollgate.port            TOLLGATE_PORT              --port
 * tollgate.policy          TOLLGATE_POLICY            --policy
 * tollgate.state.dir       TOLLGATE_STATE_DIR         --state-dir
 * tollgate.body.limit      TOLLGATE_BODY_LIMIT        --body-limit    (bytes)
 * tollgate.shutdown.grace  TOLLGATE_SHUTDOWN_GRACE    --shutdown-grace (seconds)
 * tollgate.git.branch      TOLLGATE_GIT_BRANCH        --policy-branch
 * tollgate.git.path        TOLLGATE_GIT_PATH          --policy-path   (sub-directory of the repository)
 * tollgate.git.poll        TOLLGATE_GIT_POLL          --policy-poll   (seconds)
 * tollgate.webhook.secret  TOLLGATE_WEBHOOK_SECRET    (no flag: a secret does not belong on a command line)
 * tollgate.redis.url       TOLLGATE_REDIS_URL         --redis         (shared budgets and limits; empty = this node alone)
 * tollgate.body.buffered  TOLLGATE_BODY_BUFFERED    (bytes of API request bodies held at once; 0 = no cap)
 * tollgate.webhook.body.limit TOLLGATE_WEBHOOK_BODY_LIMIT (bytes of a webhook's body)
 * </pre>
 */
public record ServerSettings(String host, int port, String policy, Path stateDir, long bodyLimit,
                             Duration shutdownGrace, String gitBranch, String gitPath, Duration pollInterval,
                             Optional<String> webhookSecret, Optional<String> redisUrl, long bodyBuffered, long webhookBodyLimit) {

    /** 256 MiB: eight full 32 MiB bodies at once, a quarter of the default 1 GB heap. */
    public static final long DEFAULT_BODY_BUFFERED = 256L << 20;
    /** 1 MiB: a GitHub push or GitLab event of a policy repository is a few KiB; the poll catches anything larger. */
    public static final long DEFAULT_WEBHOOK_BODY_LIMIT = 1L << 20;

    public ServerSettings {
        // One body at the limit must always fit, or such a request could never be served.
        if (bodyBuffered > 0 && bodyBuffered < bodyLimit) {
            bodyBuffered = bodyLimit;
        }
    }

    /** The settings before the body caps: those at their defaults. */
    public ServerSettings(String host, int port, String policy, Path stateDir, long bodyLimit, Duration shutdownGrace,
                          String gitBranch, String gitPath, Duration pollInterval, Optional<String> webhookSecret, Optional<String> redisUrl) {
        this(host, port, policy, stateDir, bodyLimit, shutdownGrace, gitBranch, gitPath, pollInterval, webhookSecret, redisUrl,
                DEFAULT_BODY_BUFFERED, DEFAULT_WEBHOOK_BODY_LIMIT);
    }

    /** The foundation's settings; Git ones at their defaults (tests that start the server in-process). */
    public ServerSettings(String host, int port, String policy, Path stateDir, long bodyLimit, Duration shutdownGrace) {
        this(host, port, policy, stateDir, bodyLimit, shutdownGrace, "main", "", Duration.ofSeconds(10), Optional.empty());
    }

    /** A single node: budgets and limits in this process. */
    public ServerSettings(String host, int port, String policy, Path stateDir, long bodyLimit, Duration shutdownGrace,
                          String gitBranch, String gitPath, Duration pollInterval, Optional<String> webhookSecret) {
        this(host, port, policy, stateDir, bodyLimit, shutdownGrace, gitBranch, gitPath, pollInterval, webhookSecret, Optional.empty());
    }

    /** The same settings with other caps on request bodies held at once and on a webhook's body. */
    public ServerSettings withBodyCaps(long buffered, long webhookLimit) {
        return new ServerSettings(host, port, policy, stateDir, bodyLimit, shutdownGrace, gitBranch, gitPath, pollInterval, webhookSecret,
                redisUrl, buffered, webhookLimit);
    }

    public static final String CONFIG_FILE_ENV = "TOLLGATE_CONFIG";

    /** Flag name -> settings key. */
    public static final Map<String, String> FLAGS = Map.of(
            "--policy-branch", "tollgate.git.branch",
            "--policy-path", "tollgate.git.path",
            "--policy-poll", "tollgate.git.poll",
            "--host", "tollgate.host",
            "--port", "tollgate.port",
            "--policy", "tollgate.policy",
            "--state-dir", "tollgate.state.dir",
            "--redis", "tollgate.redis.url",
            "--body-limit", "tollgate.body.limit",
            "--shutdown-grace", "tollgate.shutdown.grace");

    /**
     * @param flags      settings keys from the command line
     * @param configFile the settings file, if any
     */
    public static ServerSettings load(Map<String, String> flags, Path configFile) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new java.util.ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.environmentVariables());
        if (configFile != null) {
            sources.add(ConfigSources.file(configFile));
        }
        sources.add(ConfigSources.classpath("tollgate-defaults.yaml"));
        Config config = Config.builder()
                .sources(sources)
                .disableSystemPropertiesSource()
                .disableEnvironmentVariablesSource()
                .build()
                .get("tollgate");
        return new ServerSettings(
                config.get("host").asString().get(),
                config.get("port").asInt().get(),
                config.get("policy").asString().get(),
                Path.of(config.get("state.dir").asString().get()),
                config.get("body.limit").asLong().get(),
                Duration.ofMillis((long) (config.get("shutdown.grace").asDouble().get() * 1000)),
                config.get("git.branch").asString().get(),
                config.get("git.path").asString().orElse(""),
                Duration.ofMillis((long) (config.get("git.poll").asDouble().get() * 1000)),
                config.get("webhook.secret").asString().asOptional().filter(v -> !v.isBlank()),
                config.get("redis.url").asString().asOptional().filter(v -> !v.isBlank()),
                config.get("body.buffered").asLong().orElse(DEFAULT_BODY_BUFFERED),
                config.get("webhook.body.limit").asLong().orElse(DEFAULT_WEBHOOK_BODY_LIMIT));
    }
}
