package dev.tollgate.server.gate;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.server.errors.GatewayError;

/** Who is calling, for the read-only endpoints (models, usage). */
public sealed interface Identity {

    /** The policy declares no keys: everyone is anonymous and may use everything. */
    record Anonymous() implements Identity {
    }

    record Caller(KeyChain chain) implements Identity {
    }

    /** {@code chain}: the presented key's when the policy has it (revoked, expired), else null. */
    record Refused(GatewayError error, KeyChain chain) implements Identity {
    }
}
