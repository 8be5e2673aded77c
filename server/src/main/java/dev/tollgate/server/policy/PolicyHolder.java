package dev.tollgate.server.policy;

import dev.tollgate.policy.PolicySnapshot;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The policy in force. Swapped atomically; a request reads it once, at its start. */
public final class PolicyHolder {

    /** Response header naming the policy version (the Git commit) a request was decided under. */
    public static final String HEADER = "x-tollgate-policy";
    private static final String CONTEXT_KEY = "tollgate.policy.snapshot";

    private final AtomicReference<PolicySnapshot> current;
    private volatile String degraded;
    private final java.util.List<java.util.function.BiConsumer<PolicySnapshot, PolicySnapshot>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    public PolicyHolder(PolicySnapshot initial) {
        this.current = new AtomicReference<>(initial);
    }

    public PolicySnapshot current() {
        return current.get();
    }

    /**
     * Pins the snapshot in force to this request; every later read through {@link #forRequest} sees
     * the same one, whatever swaps happen meanwhile.
     */
    public PolicySnapshot pin(ServerRequest req) {
        PolicySnapshot snapshot = current.get();
        req.context().register(CONTEXT_KEY, snapshot);
        return snapshot;
    }

    /** The snapshot pinned at the request's start (or the current one if none was pinned). */
    public PolicySnapshot forRequest(ServerRequest req) {
        return req.context().get(CONTEXT_KEY, PolicySnapshot.class).orElseGet(current::get);
    }

    /** Why the policy source is degraded (e.g. Git unreachable), if it is; the gateway still serves. */
    public Optional<String> degraded() {
        return Optional.ofNullable(degraded);
    }

    void degraded(String reason) {
        degraded = reason;
    }

    void swap(PolicySnapshot next) {
        PolicySnapshot previous = current.getAndSet(next);
        for (var listener : listeners) {
            listener.accept(previous, next);
        }
    }

    /** Called on the watcher's thread after each swap (the audit trail), with the old and the new snapshot. */
    public void onSwap(java.util.function.BiConsumer<PolicySnapshot, PolicySnapshot> listener) {
        listeners.add(listener);
    }
}
