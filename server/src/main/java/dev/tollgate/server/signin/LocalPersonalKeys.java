package dev.tollgate.server.signin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/** One node: keys in memory, appended to a file in the state directory so they survive a restart. */
public final class LocalPersonalKeys implements PersonalKeys {

    private static final Logger LOG = Logger.getLogger(LocalPersonalKeys.class.getName());
    static final String FILE = "personal-keys.jsonl";

    private final Path file;
    private final Map<String, PersonalKey> keys = new ConcurrentHashMap<>();

    public LocalPersonalKeys(Path stateDir, Clock clock) {
        this.file = stateDir.resolve(FILE);
        if (Files.exists(file)) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    try {
                        PersonalKey k = KeyCodec.read(line);
                        if (!k.expiredAt(clock.instant())) {
                            keys.put(k.sha256(), k);
                        }
                    } catch (IOException | RuntimeException e) {
                        // A torn last line (a crash mid-write) loses that one key; its holder signs in again.
                        LOG.warning("skipped an unreadable line of " + file + ": " + e.getClass().getSimpleName());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the personal keys in " + file, e);
            }
        }
    }

    @Override
    public synchronized void put(PersonalKey key) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, KeyCodec.write(key) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store a personal key in " + file, e);
        }
        keys.put(key.sha256(), key);
    }

    @Override
    public Optional<PersonalKey> byHash(String sha256) {
        return Optional.ofNullable(keys.get(sha256));
    }
}
