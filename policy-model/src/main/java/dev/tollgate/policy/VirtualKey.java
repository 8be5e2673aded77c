package dev.tollgate.policy;

/**
 * A key an engineer or agent presents. Only the SHA-256 of its secret (lower-case hex) is in the
 * policy, so the repository can be read by anyone who reviews it.
 */
public record VirtualKey(String id, String team, String sha256, String description, Governance governance)
        implements Principal {
}
