package dev.tollgate.providers.json;

/** A request body the gateway cannot accept; the message says what is wrong and is safe to show. */
public final class InvalidJsonException extends Exception {

    private final String param;

    public InvalidJsonException(String message) {
        this(message, null);
    }

    public InvalidJsonException(String message, String param) {
        super(message, null, false, false);
        this.param = param;
    }

    /** The offending top-level field, when there is one. */
    public String param() {
        return param;
    }
}
