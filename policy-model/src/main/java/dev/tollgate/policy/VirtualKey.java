package dev.tollgate.policy;

/**
 * A key an engineer or agent presents. Only the SHA-256 of its secret (lower-case hex) is in the
 * policy, so the repository can be read by anyone who reviews it. A revoked key stays listed so the
 * gateway can tell its holder it was revoked rather than unknown.
 */
public record VirtualKey(String id, String team, String sha256, String description, Governance governance,
                         boolean revoked) implements Principal {

    public VirtualKey(String id, String team, String sha256, String description, Governance governance) {
        this(id, team, sha256, description, governance, false);
    }
}
