package dev.tollgate.policy;

import java.util.List;

/** The whole policy as declared in the files. */
public record Policy(List<Provider> providers, List<Model> models, List<Customer> customers, List<Team> teams,
                     List<VirtualKey> keys, List<Pricing> pricing, List<Admin> admins, Sso sso) {

    public Policy {
        providers = List.copyOf(providers);
        models = List.copyOf(models);
        customers = List.copyOf(customers);
        teams = List.copyOf(teams);
        keys = List.copyOf(keys);
        pricing = List.copyOf(pricing);
        admins = List.copyOf(admins);
    }

    /** Without sign-in through an identity provider. */
    public Policy(List<Provider> providers, List<Model> models, List<Customer> customers, List<Team> teams,
                  List<VirtualKey> keys, List<Pricing> pricing, List<Admin> admins) {
        this(providers, models, customers, teams, keys, pricing, admins, Sso.NONE);
    }

    public Policy(List<Provider> providers, List<Model> models) {
        this(providers, models, List.of(), List.of(), List.of(), List.of(), List.of());
    }
}
