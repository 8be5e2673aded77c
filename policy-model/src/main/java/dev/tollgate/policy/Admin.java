package dev.tollgate.policy;

/** A token for the admin API, stored as the SHA-256 of its secret. */
public record Admin(String id, String sha256, Role role) {

    public enum Role {
        /** Reads status: GET /admin/... */
        VIEWER,
        /** Also acts: refresh the policy, ... */
        OPERATOR;

        public boolean mayAct() {
            return this == OPERATOR;
        }
    }
}
