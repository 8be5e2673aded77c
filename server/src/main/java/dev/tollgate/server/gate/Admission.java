package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.settle.Meter;

/**
 * The gate's decision on one request. Every surface switches on it and renders a refusal in its own
 * dialect.
 */
public sealed interface Admission {

    /** What the dispatcher reports to while it relays. */
    Meter meter();

    /** The policy declares no keys: no authentication, limits or budgets. */
    record Open() implements Admission {
        public Meter meter() {
            return Meter.NONE;
        }
    }

    /** Authenticated, allowed, within limits, its estimate reserved; the pass settles it. */
    record Admitted(KeyChain chain, Pass pass) implements Admission {
        public Meter meter() {
            return pass;
        }
    }

    /** Refused; {@code chain} is the presented key's when the policy has it (null for a missing or unknown key). */
    record Refused(GatewayError error, KeyChain chain) implements Admission {
        public Refused(GatewayError error) {
            this(error, null);
        }

        public Meter meter() {
            return Meter.NONE;
        }
    }

    Open OPEN = new Open();
}
