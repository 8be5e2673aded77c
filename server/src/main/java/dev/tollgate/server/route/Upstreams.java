package dev.tollgate.server.route;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the gateway has learned about its upstreams, shared by all requests and kept across policy
 * swaps (keyed by provider id, model and credential reference): cool-downs, circuits, and counts of
 * attempts by outcome.
 */
public final class Upstreams {

    private final Clock clock;
    private final Cooldowns cooldowns;
    private final ConcurrentHashMap<String, CircuitBreaker> circuits = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

    public Upstreams(Clock clock) {
        this.clock = clock;
        this.cooldowns = new Cooldowns(clock);
    }

    public Clock clock() {
        return clock;
    }

    public Cooldowns cooldowns() {
        return cooldowns;
    }

    /** The target's circuit; a changed circuit_breaker setting starts a fresh one. */
    public CircuitBreaker circuit(Route.Target target) {
        Provider.Breaker config = target.provider().breaker();
        return circuits.compute(targetKey(target), (k, old) -> old != null && old.config().equals(config) ? old : new CircuitBreaker(clock, config));
    }

    /** The target's circuit if a call has made one (a target never called is closed); never creates one. */
    public java.util.Optional<CircuitBreaker> existingCircuit(Route.Target target) {
        return java.util.Optional.ofNullable(circuits.get(targetKey(target)));
    }

    public static String targetKey(Route.Target target) {
        return target.provider().id() + "/" + target.model();
    }

    public static String credentialKey(Provider provider, String credentialRef) {
        return provider.id() + "#" + credentialRef;
    }

    void count(Attempt attempt) {
        counts.computeIfAbsent(attempt.provider() + "/" + attempt.model() + " " + attempt.outcome().name().toLowerCase(), k -> new LongAdder())
                .increment();
    }

    /** Attempts so far by "provider/model outcome", sorted, for metrics and tests. */
    public Map<String, Long> attemptCounts() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
