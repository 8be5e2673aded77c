package dev.tollgate.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit chain keyed with an HMAC: a whole rewrite without the key is caught, rotation keeps it verifiable. */
class KeyedAuditChainTest {

    @TempDir
    Path dir;

    private Path key(String name, String text) throws Exception {
        Path f = Files.createDirectories(dir.resolve("secrets")).resolve(name);
        Files.writeString(f, text + "\n");
        return f;
    }

    private Path log(AuditKey key, int entries) {
        Path file = dir.resolve("state/audit.log");
        AuditLog log = AuditLog.open(file, key);
        for (int i = 0; i < entries; i++) {
            log.append(new AuditEvent.AdminAction("ops", "operator", "reset budget " + i, "ok"));
        }
        return file;
    }

    private static boolean mentions(AuditLog.Verification v, String text) {
        return v.problems().stream().anyMatch(p -> p.contains(text));
    }

    @Test
    void aKeyedChainVerifiesOnlyWithItsKey() throws Exception {
        AuditKey k = AuditKey.load(key("audit.key", "a".repeat(64)), dir.resolve("state"));
        Path file = log(k, 3);
        assertTrue(AuditLog.verify(file, List.of(k)).ok(), AuditLog.verify(file, List.of(k)).problems().toString());
        AuditLog.Verification without = AuditLog.verify(file);
        assertTrue(mentions(without, "which was not given"), without.problems().toString());
        AuditKey other = AuditKey.load(key("other.key", "b".repeat(64)), null);
        assertTrue(mentions(AuditLog.verify(file, List.of(other)), "which was not given"));
        assertEquals(2, AuditCli.verify(file), "without the key the CLI says it needs it, never 'intact'");
    }

    @Test
    void aFullRewriteWithoutTheKeyIsDetected() throws Exception {
        AuditKey k = AuditKey.load(key("audit.key", "c".repeat(64)), null);
        Path file = log(k, 3);
        ObjectMapper json = new ObjectMapper();
        // The attacker edits entry 2 and rebuilds the whole chain and its head file, as before keying could pass.
        for (boolean keepKeyField : new boolean[] {false, true}) {
            List<String> rewritten = new ArrayList<>();
            String prev = AuditLog.GENESIS;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                ObjectNode entry = (ObjectNode) json.readTree(line.substring(65));
                entry.put("prev", prev);
                if (!keepKeyField) {
                    entry.remove("key");
                }
                if (entry.path("seq").asInt() == 2) {
                    entry.put("action", "nothing happened here");
                }
                String body = entry.toString();
                prev = AuditLog.sha256(body);
                rewritten.add(prev + " " + body);
            }
            Path forged = dir.resolve("forged-" + keepKeyField + ".log");
            Files.write(forged, rewritten);
            Files.writeString(AuditLog.headOf(forged), rewritten.size() + " " + prev + "\n");
            assertTrue(AuditLog.verify(forged).ok() || keepKeyField, "unkeyed, the old check alone would pass it");
            AuditLog.Verification v = AuditLog.verify(forged, List.of(k));
            assertEquals(keepKeyField ? 3 : 1, v.problems().size(), v.problems().toString());
            assertTrue(mentions(v, keepKeyField ? "its MAC does not match" : "no entry is keyed though a key was given"), v.problems().toString());
        }
    }

    @Test
    void rotationKeepsTheChainVerifiableWithBothKeys() throws Exception {
        AuditKey before = AuditKey.load(key("2026-11.key", "d".repeat(64)), null);
        AuditKey after = AuditKey.load(key("2026-12.key", "e".repeat(64)), null);
        log(null, 1); // written before keying was turned on
        log(before, 2);
        Path file = log(after, 2);
        assertTrue(AuditLog.verify(file, List.of(before, after)).ok(), AuditLog.verify(file, List.of(before, after)).problems().toString());
        assertTrue(mentions(AuditLog.verify(file, List.of(after)), "keyed with key " + before.id() + ", which was not given"));
        assertEquals(0, AuditCli.verify(file, List.of(dir.resolve("secrets/2026-11.key"), dir.resolve("secrets/2026-12.key"))));

        // An unkeyed entry appended after keyed ones: someone wrote without the key.
        AuditLog.open(file, null).append(new AuditEvent.AdminAction("x", "operator", "sneak", "ok"));
        assertTrue(mentions(AuditLog.verify(file, List.of(before, after)), "not keyed, after keyed entries"));
        assertEquals(1, AuditCli.verify(file, List.of(dir.resolve("secrets/2026-11.key"), dir.resolve("secrets/2026-12.key"))));
    }

    @Test
    void aKeyInTheStateDirectoryOrTooShortIsRefused() throws Exception {
        Path inState = Files.createDirectories(dir.resolve("state")).resolve("audit.key");
        Files.writeString(inState, "f".repeat(64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuditKey.load(inState, dir.resolve("state")));
        assertTrue(e.getMessage().contains("lies in the state directory"), e.getMessage());
        IllegalArgumentException shortKey = assertThrows(IllegalArgumentException.class, () -> AuditKey.load(key("short", "hunter2"), null));
        assertTrue(shortKey.getMessage().contains("openssl rand -hex 32"), shortKey.getMessage());
    }
}
