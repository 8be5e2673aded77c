package dev.tollgate.server.settings;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Signed policy commits only: who may sign, from server settings (a policy cannot vouch for itself).
 * Either file turns the check on; with both, a commit may be signed either way.
 *
 * <pre>
 * key                    env                      flag
 * tollgate.git.signers   TOLLGATE_GIT_SIGNERS     --policy-signers   (SSH keys, Git's allowed_signers format)
 * tollgate.git.gpg.keys  TOLLGATE_GIT_GPG_KEYS    --policy-gpg-keys  (OpenPGP public keys, armored: gpg --armor --export)
 * </pre>
 */
public record SigningSettings(Optional<Path> allowedSigners, Optional<Path> gpgKeys) {

    public static final Map<String, String> FLAGS = Map.of(
            "--policy-signers", "tollgate.git.signers",
            "--policy-gpg-keys", "tollgate.git.gpg.keys");

    public boolean enabled() {
        return allowedSigners.isPresent() || gpgKeys.isPresent();
    }

    public static SigningSettings load(Map<String, String> flags, Path configFile) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.environmentVariables());
        if (configFile != null) {
            sources.add(ConfigSources.file(configFile));
        }
        Config config = Config.builder().sources(sources).disableSystemPropertiesSource().disableEnvironmentVariablesSource()
                .build().get("tollgate.git");
        return new SigningSettings(path(config.get("signers")), path(config.get("gpg.keys")));
    }

    private static Optional<Path> path(Config node) {
        return node.asString().asOptional().map(String::strip).filter(v -> !v.isEmpty()).map(Path::of);
    }
}
