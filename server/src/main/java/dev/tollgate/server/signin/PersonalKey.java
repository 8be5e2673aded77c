package dev.tollgate.server.signin;

import java.time.Instant;
import java.util.List;

/**
 * A personal virtual key as stored: the SHA-256 of its secret, never the secret, with who it belongs
 * to. The team is not stored: it follows the policy's group mapping at each request, so a commit that
 * removes the mapping revokes the key at once.
 */
public record PersonalKey(String sha256, String subject, String email, List<String> groups, Instant issued, Instant expires) {

    public PersonalKey {
        groups = List.copyOf(groups);
    }

    /** The secret's prefix: it tells a personal key from a policy key without a store lookup. */
    public static final String PREFIX = "tgp-";

    public boolean expiredAt(Instant now) {
        return !now.isBefore(expires);
    }
}
