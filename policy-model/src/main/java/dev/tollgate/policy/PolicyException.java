package dev.tollgate.policy;

import java.util.List;

/** A policy that cannot be used, with every problem found (each naming file, line and column). */
public final class PolicyException extends Exception {

    private final List<Problem> details;

    public PolicyException(List<Problem> details) {
        super(String.join("\n", details.stream().map(Problem::toString).toList()));
        this.details = List.copyOf(details);
    }

    public static PolicyException of(String where, String message) {
        return new PolicyException(List.of(new Problem(new SourcePos(where, 0, 0), message)));
    }

    /** Each problem as {@code file:line:col: message}. */
    public List<String> problems() {
        return details.stream().map(Problem::toString).toList();
    }

    public List<Problem> details() {
        return details;
    }
}
