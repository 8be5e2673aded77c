package dev.tollgate.providers.upstream;

import dev.tollgate.policy.SecretRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Resolves credential references at call time, so a rotated secret file is picked up without a reload. */
public final class Secrets {

    private Secrets() {
    }

    public static Optional<String> resolve(SecretRef ref) {
        return switch (ref.scheme()) {
            case ENV -> Optional.ofNullable(System.getenv(ref.location())).filter(v -> !v.isBlank());
            case FILE -> {
                try {
                    yield Optional.of(Files.readString(Path.of(ref.location())).trim()).filter(v -> !v.isEmpty());
                } catch (IOException e) {
                    yield Optional.empty();
                }
            }
        };
    }
}
