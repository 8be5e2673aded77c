package dev.tollgate.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * An append-only, hash-chained log: each line is {@code <sha256> <entry JSON>}, the entry holding its
 * sequence number and the previous line's hash. Editing an entry breaks its hash, removing one breaks
 * the next entry's link and the numbering, cutting the tail no longer matches the head file written
 * beside it. {@code tollgate audit verify} checks all three.
 */
public final class AuditLog {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String GENESIS = "0".repeat(64);

    private final Path file;
    private final Path head;
    /** Null: entries hashed with plain SHA-256, which detects an edit but not a rewrite of the whole log. */
    private final AuditKey key;
    private long seq;
    private String last;

    private AuditLog(Path file, long seq, String last, AuditKey key) {
        this.file = file;
        this.key = key;
        this.head = headOf(file);
        this.seq = seq;
        this.last = last;
    }

    static Path headOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".head");
    }

    /** Opens the log, continuing its chain from the last line. */
    public static AuditLog open(Path file) {
        return open(file, null);
    }

    /** Opens the log, continuing its chain from the last line; new entries are keyed with {@code key} (null: not keyed). */
    public static AuditLog open(Path file, AuditKey key) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            long seq = 0;
            String last = GENESIS;
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = lines.size() - 1; i >= 0; i--) {
                    String line = lines.get(i);
                    int space = line.indexOf(' ');
                    if (space == 64) {
                        last = line.substring(0, 64);
                        seq = JSON.readTree(line.substring(65)).path("seq").asLong();
                        break;
                    }
                }
            }
            return new AuditLog(file, seq, last, key);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit log " + file, e);
        }
    }

    public Path file() {
        return file;
    }

    /** Appends one entry and forces it to disk; audit events are rare (policy swaps, admin actions). */
    public synchronized void append(AuditEvent event) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("seq", seq + 1);
        entry.put("time", Instant.now().toString());
        entry.put("prev", last);
        if (key != null) {
            entry.put("key", key.id());
        }
        switch (event) {
            case AuditEvent.PolicyApplied p -> {
                entry.put("kind", "policy.applied");
                entry.put("commit", p.commit());
                entry.put("previous", p.previous());
                entry.put("author", p.author());
                entry.put("signer", p.signer());
                entry.put("message", p.message());
                ArrayNode changes = entry.putArray("changes");
                p.changes().forEach(changes::add);
            }
            case AuditEvent.PolicyRefused p -> {
                entry.put("kind", "policy.refused");
                entry.put("commit", p.commit());
                entry.put("author", p.author());
                entry.put("claimed_signer", p.claimedSigner());
                entry.put("reason", p.reason());
            }
            case AuditEvent.PolicyLoaded p -> {
                entry.put("kind", "policy.loaded");
                entry.put("commit", p.commit());
                entry.put("author", p.author());
                entry.put("source", p.source());
            }
            case AuditEvent.AdminAction a -> {
                entry.put("kind", "admin.action");
                entry.put("actor", a.actor());
                entry.put("role", a.role());
                entry.put("action", a.action());
                entry.put("result", a.result());
            }
            case AuditEvent.PersonalKeyIssued k -> {
                entry.put("kind", "personal_key.issued");
                entry.put("person", k.person());
                entry.put("subject", k.subject());
                entry.put("team", k.team());
                entry.put("role", k.role());
                entry.put("expires", k.expires());
                entry.put("key_sha256_prefix", k.keyHash());
            }
        }
        String body = entry.toString();
        String hash = key == null ? sha256(body) : key.mac(body);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            out.write(ByteBuffer.wrap((hash + " " + body + "\n").getBytes(StandardCharsets.UTF_8)));
            out.force(false);
            Files.writeString(head, (seq + 1) + " " + hash + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the audit log " + file, e);
        }
        seq++;
        last = hash;
    }

    /** Every problem found in the chain; empty when it is intact. */
    public record Verification(long entries, List<String> problems) {

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public static Verification verify(Path file) throws IOException {
        return verify(file, List.of());
    }

    /**
     * Checks the chain; keyed entries with the key they name among {@code keys}. Once an entry is keyed,
     * every later one must be: a log rewritten without the key has plain hashes or MACs that do not match.
     */
    public static Verification verify(Path file, List<AuditKey> keys) throws IOException {
        java.util.Map<String, AuditKey> byId = new java.util.HashMap<>();
        keys.forEach(k -> byId.put(k.id(), k));
        boolean keyed = false;
        List<String> problems = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String prev = GENESIS;
        long expected = 1;
        long entries = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int n = i + 1;
            if (line.isEmpty()) {
                continue;
            }
            entries++;
            if (line.length() < 66 || line.charAt(64) != ' ') {
                problems.add("line " + n + ": not a '<sha256> <entry>' line");
                continue;
            }
            String hash = line.substring(0, 64);
            String body = line.substring(65);
            JsonNode entry;
            try {
                entry = JSON.readTree(body);
            } catch (IOException e) {
                problems.add("line " + n + ": the entry is not JSON");
                prev = hash;
                continue;
            }
            String keyId = entry.path("key").asText("");
            if (keyId.isEmpty()) {
                // Entries from before keying was turned on are pinned by the first keyed entry's link to them.
                if (keyed) {
                    problems.add("line " + n + " (seq " + entry.path("seq").asText() + "): not keyed, after keyed entries: written "
                            + "without the audit key");
                } else if (!sha256(body).equals(hash)) {
                    problems.add("line " + n + " (seq " + entry.path("seq").asText() + "): edited; its content no longer matches its hash");
                }
            } else {
                keyed = true;
                AuditKey k = byId.get(keyId);
                if (k == null) {
                    problems.add("line " + n + " (seq " + entry.path("seq").asText() + "): keyed with key " + keyId
                            + ", which was not given (--key-file, once per key the chain used): cannot be verified");
                } else if (!k.mac(body).equals(hash)) {
                    problems.add("line " + n + " (seq " + entry.path("seq").asText() + "): its MAC does not match under key " + keyId
                            + ": edited, or written without the key");
                }
            }
            if (!entry.path("prev").asText().equals(prev)) {
                problems.add("line " + n + " (seq " + entry.path("seq").asText() + "): the link to the previous entry is broken (an entry before it was removed, edited or reordered)");
            }
            if (entry.path("seq").asLong() != expected) {
                problems.add("line " + n + ": sequence " + entry.path("seq").asText() + " where " + expected + " was expected (entries missing)");
            }
            expected = entry.path("seq").asLong() + 1;
            prev = hash;
        }
        if (!keys.isEmpty() && !keyed && entries > 0) {
            problems.add("no entry is keyed though a key was given: the log was written, or rewritten, without the audit key");
        }
        Path head = headOf(file);
        if (Files.exists(head)) {
            String[] h = Files.readString(head).trim().split(" ");
            if (h.length != 2 || !h[1].equals(prev) || Long.parseLong(h[0]) != expected - 1) {
                problems.add("the last entry is not the one recorded in " + head.getFileName() + " (seq " + h[0]
                        + "): entries were removed from the end");
            }
        } else if (entries > 0) {
            problems.add(head.getFileName() + " is missing: cannot tell whether entries were removed from the end");
        }
        return new Verification(entries, problems);
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
