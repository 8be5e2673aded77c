package dev.tollgate.policy;

import java.util.List;

/**
 * What a requested model name resolves to: the public name and the targets to try, in order; the
 * first {@code primaries} share traffic by weight, the rest are fallbacks.
 */
public record Route(String model, List<Target> targets, int primaries, Retry retry) {

    public Route {
        targets = List.copyOf(targets);
    }

    public Route(String model, List<Target> targets) {
        this(model, targets, targets.size(), Retry.DEFAULT);
    }

    /** A target with its provider resolved. */
    public record Target(Provider provider, String model, int weight) {
    }
}
