package dev.tollgate.policy;

/** One thing wrong with the policy: where, what, and how to fix it (in the message). */
public record Problem(SourcePos pos, String message) {

    @Override
    public String toString() {
        return pos + ": " + message;
    }
}
