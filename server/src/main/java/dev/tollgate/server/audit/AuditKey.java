package dev.tollgate.server.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key of the audit chain: each entry's hash is an HMAC-SHA256 under it, so whoever can write the
 * state directory but not read the key cannot rewrite the log and its head file into a chain that
 * verifies. Kept outside the state directory (a file the gateway reads at start, e.g. a mounted
 * secret). Entries name the key by {@link #id()}, a digest that does not reveal it, so a chain can
 * span a rotation: verify is given every key the chain used.
 */
public final class AuditKey {

    /** Fewer bytes than this is a password, not a key: {@code openssl rand -hex 32} makes one. */
    static final int MIN_BYTES = 32;

    private final String id;
    private final SecretKeySpec key;

    private AuditKey(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.id = AuditLog.sha256("tollgate-audit-key:" + HexFormat.of().formatHex(secret)).substring(0, 12);
    }

    /** The key in {@code file} (its text, trimmed); refused when it lies in {@code stateDir} or is too short. */
    public static AuditKey load(Path file, Path stateDir) {
        Path abs = file.toAbsolutePath().normalize();
        if (stateDir != null && abs.startsWith(stateDir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("tollgate.audit.key-file " + file + " lies in the state directory " + stateDir
                    + ": whoever can rewrite the audit log could read its key. Keep it elsewhere (a mounted secret).");
        }
        byte[] secret;
        try {
            secret = Files.readString(abs, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("tollgate.audit.key-file " + file + " cannot be read: " + e.getMessage());
        }
        if (secret.length < MIN_BYTES) {
            throw new IllegalArgumentException("tollgate.audit.key-file " + file + " holds " + secret.length + " bytes; an audit key needs "
                    + MIN_BYTES + " or more (e.g. `openssl rand -hex 32 > " + file + "`)");
        }
        return new AuditKey(secret);
    }

    public String id() {
        return id;
    }

    String mac(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
