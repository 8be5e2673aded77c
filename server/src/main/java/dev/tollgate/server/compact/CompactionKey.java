package dev.tollgate.server.compact;

import dev.tollgate.providers.openai.Compaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The key the gateway seals compaction summaries with (see {@link Compaction}). {@value #ENV}
 * (32 bytes, base64) when set: every node serving the same sessions needs the same one. Otherwise
 * {@code STATE_DIR/compaction.key}, made on first start (owner-only), so sealed items outlive a restart.
 */
public final class CompactionKey {

    public static final String ENV = "TOLLGATE_COMPACTION_KEY";
    static final String FILE = "compaction.key";

    private CompactionKey() {
    }

    public static void install(Path stateDir) {
        Compaction.configure(load(System.getenv(ENV), stateDir));
    }

    static byte[] load(String configured, Path stateDir) {
        if (configured != null && !configured.isBlank()) {
            byte[] key;
            try {
                key = Base64.getDecoder().decode(configured.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ENV + " must be 32 random bytes in base64 (openssl rand -base64 32)");
            }
            if (key.length != 32) {
                throw new IllegalArgumentException(ENV + " must be 32 bytes in base64 (openssl rand -base64 32), not " + key.length);
            }
            return key;
        }
        Path file = stateDir.resolve(FILE);
        try {
            if (Files.exists(file)) {
                byte[] key = Base64.getDecoder().decode(Files.readString(file).trim());
                if (key.length == 32) {
                    return key;
                }
                throw new IllegalStateException(file + " does not hold a 32-byte key; remove it to make a new one");
            }
            Files.createDirectories(stateDir);
            byte[] key = new SecureRandom().generateSeed(32);
            Path tmp = Files.createTempFile(stateDir, FILE, ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // a file system without POSIX permissions: the state directory's own protection holds
            }
            Files.writeString(tmp, Base64.getEncoder().encodeToString(key), StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the compaction key in " + file, e);
        }
    }
}
