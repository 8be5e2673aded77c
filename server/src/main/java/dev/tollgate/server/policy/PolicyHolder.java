package dev.tollgate.server.policy;

import dev.tollgate.policy.PolicySnapshot;
import java.util.concurrent.atomic.AtomicReference;

/** The policy in force. Swapped atomically; a request reads it once, at its start. */
public final class PolicyHolder {

    private final AtomicReference<PolicySnapshot> current;

    public PolicyHolder(PolicySnapshot initial) {
        this.current = new AtomicReference<>(initial);
    }

    public PolicySnapshot current() {
        return current.get();
    }

    void swap(PolicySnapshot next) {
        current.set(next);
    }
}
