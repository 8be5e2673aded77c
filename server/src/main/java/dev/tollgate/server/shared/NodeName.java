package dev.tollgate.server.shared;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * This node's name among the nodes sharing a Redis, kept in {@code <state dir>/node-id} so that a
 * restarted node settles its own reservations (their ids are only unique in its ledger).
 */
public final class NodeName {

    private NodeName() {
    }

    public static String of(Path stateDir) {
        Path file = stateDir.resolve("node-id");
        try {
            if (Files.exists(file)) {
                String name = Files.readString(file).strip();
                if (!name.isEmpty()) {
                    return name;
                }
            }
            Files.createDirectories(stateDir);
            String name = UUID.randomUUID().toString();
            Files.writeString(file, name + "\n");
            return name;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write this node's name in " + file, e);
        }
    }
}
