package dev.tollgate.policy;

import java.util.List;

/**
 * A public model name clients use, its aliases, the targets that serve it (chosen by weight), the
 * fallbacks tried in order when they fail, and how often to retry.
 */
public record Model(String name, List<String> aliases, List<ModelTarget> targets, List<ModelTarget> fallbacks,
                    Retry retry) {

    public Model {
        aliases = List.copyOf(aliases);
        targets = List.copyOf(targets);
        fallbacks = List.copyOf(fallbacks);
    }

    public Model(String name, List<String> aliases, List<ModelTarget> targets) {
        this(name, aliases, targets, List.of(), Retry.DEFAULT);
    }
}
