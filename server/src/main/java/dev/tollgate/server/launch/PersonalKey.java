package dev.tollgate.server.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The virtual key the agent presents: TOLLGATE_KEY, else the personal key file {@code tollgate login}
 * writes (~/.config/tollgate/key, 0600).
 *
 * @param value          the secret
 * @param shellReference how a shell line names it without spelling it out (for --print-env)
 */
record PersonalKey(String value, String shellReference) {

    static final String ENV = "TOLLGATE_KEY";

    static Path file(Map<String, String> env) {
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config", "tollgate", "key");
    }

    /** The key, or empty with the reason in {@code problem[0]}. */
    static Optional<PersonalKey> find(Map<String, String> env, String[] problem) {
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(new PersonalKey(fromEnv.strip(), "\"$" + ENV + "\""));
        }
        Path file = file(env);
        if (!Files.isRegularFile(file)) {
            problem[0] = "no key: set " + ENV + " to your virtual key, or sign in with `tollgate login --gateway URL` (it writes " + file + ")";
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                // Like ssh with a private key: a secret others can read is refused rather than used.
                problem[0] = file + " can be read by other users: chmod 600 " + file;
                return Optional.empty();
            }
            String key = Files.readString(file).strip();
            if (key.isEmpty()) {
                problem[0] = file + " is empty: sign in again with `tollgate login --gateway URL`, or set " + ENV;
                return Optional.empty();
            }
            return Optional.of(new PersonalKey(key, "\"$(cat ~/.config/tollgate/key)\""));
        } catch (UnsupportedOperationException | IOException e) {
            problem[0] = "cannot read " + file + " (" + e.getClass().getSimpleName() + "): set " + ENV + " instead";
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "PersonalKey[" + shellReference + "]"; // never the secret
    }
}
