package dev.tollgate.server.audit;

import java.util.List;

/** What the audit trail records: policy versions put in force, and what admins did. */
public sealed interface AuditEvent {

    /**
     * A policy version went into force.
     *
     * @param signer  with signed commits only, the verified signer; otherwise the key the signature names, prefixed
     *                "unverified"; null when unsigned
     * @param changes the reviewer-worded {@code PolicyDiff} summary against the version it replaced
     */
    record PolicyApplied(String commit, String previous, String author, String signer, String message, List<String> changes)
            implements AuditEvent {
    }

    /**
     * A policy commit was refused for its signature (signed commits only) and the last good one stayed.
     *
     * @param claimedSigner the key the signature names, not verified; null when unsigned
     */
    record PolicyRefused(String commit, String author, String claimedSigner, String reason) implements AuditEvent {
    }

    /** The gateway started on a policy version (a change made while it was down shows up here). */
    record PolicyLoaded(String commit, String author, String source) implements AuditEvent {
    }

    /** An admin (or a signed webhook) did something through the admin API. */
    record AdminAction(String actor, String role, String action, String result) implements AuditEvent {
    }

    /** A person signed in and got a personal key: who, which team, until when; the key's hash prefix, never the key. */
    record PersonalKeyIssued(String person, String subject, String team, String role, String expires, String keyHash)
            implements AuditEvent {
    }
}
