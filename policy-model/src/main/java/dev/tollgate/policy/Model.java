package dev.tollgate.policy;

import java.util.List;

/**
 * A public model name clients use, its aliases, the targets that serve it (chosen by weight), the
 * fallbacks tried in order when they fail, how often to retry, and what clients should know of it
 * (context window, output cap, reasoning, images) when the bundled table does not say or says otherwise.
 */
public record Model(String name, List<String> aliases, List<ModelTarget> targets, List<ModelTarget> fallbacks,
                    Retry retry, ModelFacts facts) {

    public Model {
        aliases = List.copyOf(aliases);
        targets = List.copyOf(targets);
        fallbacks = List.copyOf(fallbacks);
        facts = facts == null ? ModelFacts.UNKNOWN : facts;
    }

    public Model(String name, List<String> aliases, List<ModelTarget> targets, List<ModelTarget> fallbacks, Retry retry) {
        this(name, aliases, targets, fallbacks, retry, ModelFacts.UNKNOWN);
    }

    public Model(String name, List<String> aliases, List<ModelTarget> targets) {
        this(name, aliases, targets, List.of(), Retry.DEFAULT);
    }
}
