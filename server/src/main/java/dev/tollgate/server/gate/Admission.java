package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.server.errors.GatewayError;

/**
 * The gate's decision on one request. Every surface switches on it and renders a refusal in its own
 * dialect.
 */
public sealed interface Admission {

    /** The policy declares no keys: no authentication, limits or budgets. */
    record Open() implements Admission {
    }

    /** Authenticated, allowed, within limits, its estimate reserved; the settle stage settles its permit. */
    record Admitted(KeyChain chain, Permit permit) implements Admission {
    }

    /** Refused; {@code chain} is the presented key's when the policy has it (null for a missing or unknown key). */
    record Refused(GatewayError error, KeyChain chain) implements Admission {
        public Refused(GatewayError error) {
            this(error, null);
        }
    }

    Open OPEN = new Open();
}
