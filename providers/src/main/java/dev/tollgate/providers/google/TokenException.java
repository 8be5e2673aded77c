package dev.tollgate.providers.google;

/** Why no access token could be had, in words an operator can act on. */
public final class TokenException extends Exception {

    /** What went wrong: the key itself, the issuer's refusal, or the way to the issuer. */
    public enum Kind { BAD_KEY, REFUSED, UNREACHABLE }

    private final Kind kind;

    public TokenException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
