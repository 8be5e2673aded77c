package dev.tollgate.server.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;

/**
 * The person's key on their machine: {@code ~/.config/tollgate/key} holds the key alone (what
 * {@code tollgate launch} and {@code tollgate auth print-token} read), {@code key.json} beside it says
 * whose it is, for which gateway and until when. Both 0600, written whole (never half a key).
 */
public final class KeyFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    public record Stored(String key, String gateway, String person, Instant expires) {
    }

    private KeyFile() {
    }

    /** {@code TOLLGATE_KEY_FILE}, else {@code $HOME/.config/tollgate/key} (the JVM's user.home when HOME is unset). */
    public static Path defaultPath() {
        String env = System.getenv("TOLLGATE_KEY_FILE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        // $HOME as shells and the agents read it (the JVM's user.home ignores it).
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".config", "tollgate", "key");
    }

    static Path metadata(Path key) {
        return key.resolveSibling(key.getFileName() + ".json");
    }

    public static void write(Path file, Stored stored) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        var meta = JSON.createObjectNode().put("gateway", stored.gateway()).put("person", stored.person())
                .put("expires_at", stored.expires().toString());
        replace(metadata(file), meta.toString() + "\n");
        replace(file, stored.key() + "\n");
    }

    private static void replace(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            // Created 0600 from the start: the secret is never readable by others, not even for a moment.
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("another tollgate login is writing " + file + " now", e);
        }
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The stored key, if there is one; its metadata when readable. */
    public static Optional<Stored> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String key = Files.readString(file, StandardCharsets.UTF_8).trim();
        String gateway = null;
        String person = null;
        Instant expires = null;
        Path meta = metadata(file);
        if (Files.exists(meta)) {
            JsonNode n = JSON.readTree(Files.readString(meta));
            gateway = n.path("gateway").asText(null);
            person = n.path("person").asText(null);
            expires = n.hasNonNull("expires_at") ? Instant.parse(n.path("expires_at").asText()) : null;
        }
        return key.isEmpty() ? Optional.empty() : Optional.of(new Stored(key, gateway, person, expires));
    }
}
