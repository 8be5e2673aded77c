package dev.tollgate.server.errors;

/** Carries a {@link GatewayError} out of a pipeline stage; no stack trace, it is not a bug. */
public class GatewayException extends Exception {

    private final transient GatewayError error;

    public GatewayException(GatewayError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public GatewayError error() {
        return error;
    }
}
