package dev.tollgate.server.gitops;

import dev.tollgate.policy.PolicySnapshot;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The policy in force. Swapped atomically; a request reads it once, at its start. */
public final class PolicyHolder {

    /** Response header naming the policy version (the Git commit) a request was decided under. */
    public static final String HEADER = "x-tollgate-policy";
    private static final ThreadLocal<PolicySnapshot> PINNED = new ThreadLocal<>();

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
     * Runs a request with the snapshot in force now pinned to it: every read through
     * {@link #forRequest} on its thread sees that one, whatever swaps happen meanwhile. (A thread
     * local on the request's virtual thread: Helidon's per-request context costs a map per request.)
     */
    public <E extends Exception> void pinned(Pinned<E> request) throws E {
        PolicySnapshot snapshot = current.get();
        PINNED.set(snapshot);
        try {
            request.run(snapshot);
        } finally {
            PINNED.remove();
        }
    }

    /** What runs with a pinned snapshot. */
    @FunctionalInterface
    public interface Pinned<E extends Exception> {
        void run(PolicySnapshot snapshot) throws E;
    }

    /** The snapshot pinned to the running request (or the current one outside of one). */
    public PolicySnapshot forRequest() {
        PolicySnapshot pinned = PINNED.get();
        return pinned != null ? pinned : current.get();
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
