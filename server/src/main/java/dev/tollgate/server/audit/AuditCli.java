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
        if (!Files.exists(file)) {
            System.err.println(file + ": no audit log here (the gateway writes <state dir>/audit.log)");
            return 2;
        }
        try {
            AuditLog.Verification v = AuditLog.verify(file);
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
