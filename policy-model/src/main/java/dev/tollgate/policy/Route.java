package dev.tollgate.policy;

import java.util.List;

/** What a requested model name resolves to: the public name and the targets to try, in order. */
public record Route(String model, List<Target> targets) {

    public Route {
        targets = List.copyOf(targets);
    }

    /** A target with its provider resolved. */
    public record Target(Provider provider, String model, int weight) {
    }
}
