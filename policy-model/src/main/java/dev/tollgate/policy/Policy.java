package dev.tollgate.policy;

import java.util.List;

/** The whole policy as declared in the files. */
public record Policy(List<Provider> providers, List<Model> models) {

    public Policy {
        providers = List.copyOf(providers);
        models = List.copyOf(models);
    }
}
