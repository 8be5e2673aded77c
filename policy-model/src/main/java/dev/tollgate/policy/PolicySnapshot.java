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

    private final Policy policy;
    private final String version;
    private final Map<String, Provider> providers = new HashMap<>();
    private final Map<String, Route> routes = new HashMap<>();
    private final List<String> catalog = new ArrayList<>();

    PolicySnapshot(Policy policy, String version) {
        this.policy = policy;
        this.version = version;
        policy.providers().forEach(p -> providers.put(p.id(), p));
        for (Model m : policy.models()) {
            List<Route.Target> targets = m.targets().stream()
                    .map(t -> new Route.Target(providers.get(t.provider()), t.model(), t.weight()))
                    .toList();
            Route route = new Route(m.name(), targets);
            routes.put(m.name(), route);
            m.aliases().forEach(a -> routes.put(a, route));
            catalog.add(m.name());
        }
    }

    /** Problems that span files: duplicate names, targets naming providers that do not exist. */
    static List<String> crossCheck(Policy policy) {
        List<String> problems = new ArrayList<>();
        Set<String> providerIds = new HashSet<>();
        for (Provider p : policy.providers()) {
            if (!providerIds.add(p.id())) {
                problems.add("provider '" + p.id() + "' is declared twice; provider ids must be unique");
            }
        }
        Set<String> names = new HashSet<>();
        for (Model m : policy.models()) {
            for (String name : concat(m.name(), m.aliases())) {
                if (!names.add(name)) {
                    problems.add("model name or alias '" + name + "' is declared twice; each must name one model");
                }
            }
            for (ModelTarget t : m.targets()) {
                if (!providerIds.contains(t.provider())) {
                    problems.add("model '" + m.name() + "': target provider '" + t.provider()
                            + "' is not declared (declared: " + providerIds.stream().sorted().toList() + ")");
                }
            }
        }
        return problems;
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }

    public Policy policy() {
        return policy;
    }

    /** Content hash of the files (or the Git commit) this snapshot came from; logged with every request. */
    public String version() {
        return version;
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
                .map(name -> Map.entry(name, distance(wanted, name.toLowerCase())))
                .filter(e -> e.getValue() <= Math.max(3, wanted.length() / 2) || e.getKey().toLowerCase().contains(wanted))
                .sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .limit(limit)
                .map(Map.Entry::getKey)
                .toList();
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
