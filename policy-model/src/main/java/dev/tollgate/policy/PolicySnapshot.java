package dev.tollgate.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One immutable, indexed view of a policy. A request reads one snapshot at its start and finishes on
 * it, so a reload never changes a decision half way through.
 */
public final class PolicySnapshot {

    /** A key with the team and customer it belongs to: the whole chain the gate checks. */
    public record KeyChain(VirtualKey key, Team team, Customer customer) {

        public List<Principal> levels() {
            return List.of(key, team, customer);
        }

        /** Whether prompts and answers go into the request log: the narrowest level that says wins; off by default. */
        /**
         * Whether a model without a price may be used: yes when no budget applies in the chain, else
         * only when the narrowest level that says so allows it.
         */
        public boolean mayUseUnpriced() {
            for (Principal level : new Principal[]{key, team, customer}) {
                if (level != null && level.governance().unpriced().isPresent()) {
                    return level.governance().unpriced().get() == Governance.Unpriced.ALLOW;
                }
            }
            for (Principal level : new Principal[]{key, team, customer}) {
                if (level != null && !level.governance().budgets().isEmpty()) {
                    return false;
                }
            }
            return true;
        }

        public boolean capturesContent() {
            for (Principal level : new Principal[]{key, team, customer}) {
                if (level != null && level.governance().captureContent().isPresent()) {
                    return level.governance().captureContent().get();
                }
            }
            return false;
        }
    }

    private final Policy policy;
    private final String version;
    private final Map<String, Provider> providers = new HashMap<>();
    private final Map<String, Route> routes = new HashMap<>();
    private final List<String> catalog = new ArrayList<>();
    private final Map<String, KeyChain> keysByHash = new HashMap<>();
    private final Map<String, KeyChain> keysById = new HashMap<>();
    private final Map<String, Admin> adminsByHash = new HashMap<>();
    private final Map<String, Customer> customers = new HashMap<>();
    private final Map<String, Team> teams = new HashMap<>();
    private final Map<String, Pricing> pricing = new HashMap<>();
    /** {@code provider/model} of every target and fallback the catalog declares. */
    private final java.util.Set<String> declaredTargets = new java.util.HashSet<>();
    /** The facts a catalog entry writes, by its name and each alias. */
    private final Map<String, ModelFacts> declaredFacts = new HashMap<>();

    /** Only a checked policy (from {@link PolicyLoader}) is indexed: references are known to resolve. */
    PolicySnapshot(Policy policy, String version, List<Pricing> defaultPricing) {
        this.policy = policy;
        this.version = version;
        policy.providers().forEach(p -> providers.put(p.id(), p));
        for (Model m : policy.models()) {
            List<Route.Target> targets = new ArrayList<>();
            for (ModelTarget t : m.targets()) {
                targets.add(new Route.Target(providers.get(t.provider()), t.model(), t.weight()));
                declaredTargets.add(t.provider() + "/" + t.model());
            }
            for (ModelTarget t : m.fallbacks()) {
                declaredTargets.add(t.provider() + "/" + t.model());
                targets.add(new Route.Target(providers.get(t.provider()), t.model(), t.weight()));
            }
            Route route = new Route(m.name(), targets, m.targets().size(), m.retry());
            routes.put(m.name(), route);
            m.aliases().forEach(a -> routes.put(a, route));
            declaredFacts.put(m.name(), m.facts());
            m.aliases().forEach(a -> declaredFacts.put(a, m.facts()));
            catalog.add(m.name());
        }
        policy.customers().forEach(c -> customers.put(c.id(), c));
        policy.teams().forEach(t -> teams.put(t.id(), t));
        for (VirtualKey k : policy.keys()) {
            Team team = teams.get(k.team());
            KeyChain chain = new KeyChain(k, team, customers.get(team.customer()));
            keysByHash.put(k.sha256(), chain);
            keysById.put(k.id(), chain);
        }
        policy.admins().forEach(a -> adminsByHash.put(a.sha256(), a));
        defaultPricing.forEach(p -> pricing.put(p.model(), p));
        policy.pricing().forEach(p -> pricing.put(p.model(), p));
    }

    /** The key whose secret hashes to {@code sha256} (lower-case hex), with its team and customer. */
    public Optional<KeyChain> keyByHash(String sha256) {
        return Optional.ofNullable(keysByHash.get(sha256));
    }

    /** The key with this id, with its team and customer. */
    public Optional<KeyChain> key(String id) {
        return Optional.ofNullable(keysById.get(id));
    }

    /** Hashes the secret a client presented and looks it up. */
    public Optional<KeyChain> keyBySecret(String secret) {
        return keyByHash(Secrets.sha256(secret));
    }

    public Optional<Admin> adminBySecret(String secret) {
        return Optional.ofNullable(adminsByHash.get(Secrets.sha256(secret)));
    }

    public Optional<Customer> customer(String id) {
        return Optional.ofNullable(customers.get(id));
    }

    public Optional<Team> team(String id) {
        return Optional.ofNullable(teams.get(id));
    }

    /**
     * The policy's price for a model, else the bundled default's; matched by exact name, then without
     * a version pinned after '@' (Vertex names Claude models claude-sonnet-4-5@20250929).
     */
    public Optional<Pricing> pricing(String model) {
        Pricing exact = pricing.get(model);
        int at = model.indexOf('@');
        return Optional.ofNullable(exact != null || at <= 0 ? exact : pricing.get(model.substring(0, at)));
    }

    /**
     * What clients should know of a model they may ask for (context window, output cap, reasoning,
     * images): the catalog entry's own facts, each missing one from the model's price row.
     */
    public ModelFacts facts(String requested) {
        ModelFacts priced = priceOf(requested).map(Pricing::facts).orElse(ModelFacts.UNKNOWN);
        return declaredFacts.getOrDefault(requested, ModelFacts.UNKNOWN).orElse(priced);
    }

    /** The price row of a requested model name: its own, else its first target's upstream model's. Empty: not priced. */
    public Optional<Pricing> priceOf(String requested) {
        Optional<Pricing> direct = pricing(requested);
        if (direct.isPresent()) {
            return direct;
        }
        return resolve(requested).map(Route::targets).filter(t -> !t.isEmpty()).flatMap(t -> pricing(t.getFirst().model()));
    }

    public Policy policy() {
        return policy;
    }

    /** Content hash of the files (or the Git commit) this snapshot came from; logged with every request. */
    public String version() {
        return version;
    }

    /** Whether {@code provider/model} names a target or fallback of the catalog: a name the policy itself wrote. */
    public boolean declaresTarget(String providerSlashModel) {
        return declaredTargets.contains(providerSlashModel);
    }

    public Optional<Provider> provider(String id) {
        return Optional.ofNullable(providers.get(id));
    }

    /**
     * A catalog name or alias first; else {@code provider/model} naming a declared provider directly.
     */
    public Optional<Route> resolve(String requested) {
        Route route = routes.get(requested);
        if (route != null) {
            return Optional.of(route);
        }
        int slash = requested.indexOf('/');
        if (slash > 0 && slash < requested.length() - 1) {
            Provider provider = providers.get(requested.substring(0, slash));
            if (provider != null) {
                return Optional.of(new Route(requested, List.of(new Route.Target(provider, requested.substring(slash + 1), 1))));
            }
        }
        return Optional.empty();
    }

    /** Public model names, in policy order. */
    public List<String> catalog() {
        return List.copyOf(catalog);
    }

    /** Up to {@code limit} known names closest to a name that did not resolve, for the error message. */
    public List<String> closeMatches(String requested, int limit) {
        String wanted = requested.toLowerCase();
        return routes.keySet().stream()
                .map(name -> Map.entry(name, PolicyLoader.distance(wanted, name.toLowerCase())))
                .filter(e -> e.getValue() <= Math.max(3, wanted.length() / 2) || e.getKey().toLowerCase().contains(wanted))
                .sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .limit(limit)
                .map(Map.Entry::getKey)
                .toList();
    }
}
