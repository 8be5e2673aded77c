package dev.tollgate.server.signin;

/** A sign-in step that cannot go on; {@code status} is what the gateway answers, the message what to do. */
public final class SignInRefused extends RuntimeException {

    private final int status;
    private final String code;

    public SignInRefused(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
