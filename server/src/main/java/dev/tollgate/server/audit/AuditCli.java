package dev.tollgate.server.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code tollgate audit verify [FILE | --state-dir DIR]}: 0 when the chain is intact, 1 when not, 2 on usage. */
public final class AuditCli {

    private AuditCli() {
    }

    /** {@code tollgate audit verify}: exit 0 intact, 1 tampered, 2 no such file. */
    public static int verify(Path file) {
        return verify(file, java.util.List.of());
    }

    /**
     * {@code keyFiles}: every key the chain was written with (more than one across a rotation); empty:
     * TOLLGATE_AUDIT_KEY_FILE when set. A keyed chain cannot be verified without its key.
     */
    public static int verify(Path file, java.util.List<Path> keyFiles) {
        if (!Files.exists(file)) {
            System.err.println(file + ": no audit log here (the gateway writes <state dir>/audit.log)");
            return 2;
        }
        java.util.List<Path> files = keyFiles;
        String env = System.getenv("TOLLGATE_AUDIT_KEY_FILE");
        if (files.isEmpty() && env != null && !env.isBlank()) {
            files = java.util.List.of(Path.of(env.trim()));
        }
        java.util.List<AuditKey> keys = new java.util.ArrayList<>();
        try {
            for (Path f : files) {
                keys.add(AuditKey.load(f, null));
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        try {
            AuditLog.Verification v = AuditLog.verify(file, keys);
            if (keys.isEmpty() && v.problems().stream().anyMatch(p -> p.contains("which was not given"))) {
                System.err.println(file + ": the chain is keyed; verifying it needs the audit key (--key-file FILE, or"
                        + " TOLLGATE_AUDIT_KEY_FILE; one --key-file per key the chain used across rotations)");
                return 2;
            }
            if (v.ok()) {
                System.out.println(file + ": OK, " + v.entries() + " entries, chain intact");
                return 0;
            }
            System.out.println(file + ": TAMPERED (" + v.problems().size() + " problems in " + v.entries() + " entries)");
            v.problems().forEach(p -> System.out.println("- " + p));
            return 1;
        } catch (IOException e) {
            System.err.println(file + ": cannot read: " + e.getMessage());
            return 2;
        }
    }
}
