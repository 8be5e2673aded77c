package dev.tollgate.server.shared;

/**
 * The shared state store (Redis) did not answer in time or is not connected. Not a bug, so no stack
 * trace: the gate turns it into a 503 with Retry-After, and the node recovers once Redis is back.
 */
public final class StoreUnreachable extends RuntimeException {

    public StoreUnreachable(String what, Throwable cause) {
        super(what + ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause, false, false);
    }
}
