package dev.tollgate.providers.upstream;

/** The upstream could not be reached or stopped answering; nothing came back to relay. */
public final class UpstreamException extends Exception {

    public enum Kind { CONNECT, TIMEOUT, RESET }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
