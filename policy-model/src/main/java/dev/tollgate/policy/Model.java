package dev.tollgate.policy;

import java.util.List;

/** A public model name clients use, its aliases, and the ordered targets that serve it. */
public record Model(String name, List<String> aliases, List<ModelTarget> targets) {

    public Model {
        aliases = List.copyOf(aliases);
        targets = List.copyOf(targets);
    }
}
