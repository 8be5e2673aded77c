package dev.tollgate.policy;

import java.util.List;

/** A policy that cannot be used, with every problem found (each naming file and line). */
public final class PolicyException extends Exception {

    private final List<String> problems;

    public PolicyException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
