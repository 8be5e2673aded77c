package dev.tollgate.providers.upstream;

/** The upstream could not be reached or stopped answering; nothing came back to relay. */
public final class UpstreamException extends Exception {

    /** REFUSED: a TLS handshake or the egress proxy refused; retrying the same target will not help. */
    public enum Kind { CONNECT, TIMEOUT, RESET, REFUSED }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
