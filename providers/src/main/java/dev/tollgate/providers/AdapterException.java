package dev.tollgate.providers;

/** An attempt that cannot be made: the provider is not usable here, or its auth service refused. */
public final class AdapterException extends Exception {

    public enum Kind {
        /** Something on this gateway is missing (a key, a variable): another target may serve. */
        NOT_READY,
        /** The provider's auth service refused or could not be reached. */
        FAILED
    }

    private final Kind kind;

    public AdapterException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
