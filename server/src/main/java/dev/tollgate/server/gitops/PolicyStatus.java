package dev.tollgate.server.gitops;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the admin API shows about the policy source: the version in force, the last one tried and
 * why it was refused, whether the source can be reached, and reload counts by result.
 */
public record PolicyStatus(String mode, String source, Optional<String> branch, Optional<String> path,
                           Revision active, Optional<Revision> lastTried, List<String> lastErrors,
                           Optional<String> degraded, Optional<Instant> lastFetch, Result lastResult,
                           Map<Result, Long> reloads) {

    /** A policy version: for Git a commit, for a directory a content hash (no author or message). */
    public record Revision(String version, Optional<String> author, Optional<Instant> time, Optional<String> message) {

        public static Revision of(String version) {
            return new Revision(version, Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /** How one look at the source ended. */
    public enum Result {
        /** A new version was validated and swapped in. */
        UPDATED,
        /** Nothing new. */
        UNCHANGED,
        /** A new version did not validate; the last good one stays in force. */
        INVALID,
        /** A new version is not signed by an allowed signer (signed commits only); the last good one stays in force. */
        UNTRUSTED,
        /** The source could not be reached (fetch failed). */
        UNREACHABLE;

        public String id() {
            return name().toLowerCase();
        }
    }
}
