package dev.tollgate.server.shared;

/**
 * The shared state store (Redis) did not answer in time or is not connected. Not a bug, so no stack
 * trace: the gate turns it into a 503 with Retry-After, and the node recovers once Redis is back.
 */
public final class StoreUnreachable extends RuntimeException {

    private final boolean maybeApplied;

    /** @param maybeApplied the command was sent and may have run before its answer was lost (a timeout, a cut connection) */
    public StoreUnreachable(String what, Throwable cause, boolean maybeApplied) {
        super(what + ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause, false, false);
        this.maybeApplied = maybeApplied;
    }

    public boolean maybeApplied() {
        return maybeApplied;
    }
}
