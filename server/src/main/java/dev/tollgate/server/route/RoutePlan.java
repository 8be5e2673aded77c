package dev.tollgate.server.route;

import dev.tollgate.policy.Credential;
import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import dev.tollgate.server.errors.GatewayError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * One request's way through its route: the primaries in weighted (or session-sticky) order, then the
 * fallbacks in the order given; targets whose circuit is open or whose credentials all cool are
 * skipped (unless no target is left: then those are tried anyway, in order); a failed target is
 * retried after a backoff while its attempts and the time budget last.
 * Every attempt is recorded. Used by one request thread only.
 */
public final class RoutePlan {

    /** What to do next. */
    public sealed interface Step {
        /** Call this target with this credential ({@code secret} empty when the provider needs none). */
        record Try(Route.Target target, String credential, Optional<String> secret, CircuitBreaker circuit, long startNanos) implements Step {
        }

        /** The target cannot be called from here (no credential resolves); move on. */
        record Unready(Route.Target target, GatewayError error) implements Step {
        }
    }

    private static final Duration LONGEST_COOLDOWN = Duration.ofHours(1);

    private final Upstreams upstreams;
    private final Routed routed;
    private final RetryBudget budget;
    private List<Route.Target> order;
    /** Targets passed over because their circuit was open or their credentials cooled, in order. */
    private final List<Route.Target> passedOver = new ArrayList<>(1);
    /** No target was available: those passed over are tried anyway, so the gateway never refuses on its own guess. */
    private boolean panic;
    private final List<Attempt> attempts = new ArrayList<>(2);
    private int index = -1;
    private int triesOnCurrent;
    private Duration pauseBeforeRetry;
    private int credentialSwitches;

    public RoutePlan(Upstreams upstreams, Routed routed) {
        this.upstreams = upstreams;
        this.routed = routed;
        this.budget = new RetryBudget(routed.route().retry(), upstreams.clock());
        Route route = routed.route();
        List<Route.Target> primaries = route.targets().subList(0, Math.min(route.primaries(), route.targets().size()));
        List<Route.Target> ordered = new ArrayList<>(Balancer.order(primaries, Upstreams::targetKey, Route.Target::weight, routed.session()));
        ordered.addAll(route.targets().subList(primaries.size(), route.targets().size()));
        this.order = Collections.unmodifiableList(ordered);
    }

    /** The next attempt (after its backoff pause), or empty when nothing is left to try. */
    public Optional<Step> next() throws InterruptedException {
        if (pauseBeforeRetry != null) {
            Duration pause = pauseBeforeRetry;
            pauseBeforeRetry = null;
            if (!pause.isZero()) {
                Thread.sleep(pause);
            }
            Optional<Step> again = acquire(order.get(index));
            if (again.isPresent()) {
                triesOnCurrent++;
                return again;
            }
        }
        while (true) {
            while (++index < order.size()) {
                if (!attempts.isEmpty() && !budget.open()) {
                    return Optional.empty();
                }
                Optional<Step> step = acquire(order.get(index));
                if (step.isPresent()) {
                    triesOnCurrent = 1;
                    return step;
                }
            }
            if (panic || !attempts.isEmpty() || passedOver.isEmpty()) {
                return Optional.empty();
            }
            // Failing fast on every target helps no one: the client would get our error instead of the provider's
            // own answer (which, for a rate limit, carries the Retry-After the client should honour).
            panic = true;
            order = List.copyOf(passedOver);
            index = -1;
        }
    }

    /**
     * Records a failed attempt and decides whether another follows. When none does, the caller relays
     * the upstream's own answer (if it has one) instead of abandoning it.
     *
     * @param retryAfter the upstream's {@code Retry-After}, if it sent one
     */
    public boolean failed(Step.Try t, Attempt.Outcome outcome, int status, Optional<Duration> retryAfter) {
        record(t, outcome, status);
        if (outcome.unhealthy()) {
            t.circuit().onFailure();
        } else {
            t.circuit().release(); // alive but unwilling (429, a refused credential): says nothing about its health
        }
        if (outcome == Attempt.Outcome.THROTTLED && retryAfter.isPresent()) {
            Duration cool = retryAfter.get().compareTo(LONGEST_COOLDOWN) > 0 ? LONGEST_COOLDOWN : retryAfter.get();
            upstreams.cooldowns().cool(Upstreams.credentialKey(t.target().provider(), t.credential()), cool);
        }
        if (outcome == Attempt.Outcome.THROTTLED && retryAfter.isPresent() && !t.credential().isEmpty() && !panic && available(t.target())
                && budget.open() && credentialSwitches++ < t.target().provider().credentials().size()) {
            pauseBeforeRetry = Duration.ZERO; // that credential cools; another of the same provider takes the request now
            return true;
        }
        if (outcome != Attempt.Outcome.CREDENTIAL_REJECTED && triesOnCurrent < budget.attemptsPerTarget()) {
            // After a 429 the throttled credential cools; a retry uses another one, so it need not wait.
            Optional<Duration> pause = budget.pause(triesOnCurrent, outcome == Attempt.Outcome.THROTTLED ? Optional.empty() : retryAfter);
            if (pause.isPresent() && available(t.target())) {
                pauseBeforeRetry = pause.get();
                return true;
            }
        }
        if (!budget.open()) {
            return false;
        }
        for (int i = index + 1; i < order.size(); i++) {
            if (available(order.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** The answer (2xx, or a 4xx that is the client's to see) is being relayed. */
    public void answered(Step.Try t, int status) {
        record(t, Attempt.Outcome.ANSWERED, status);
        t.circuit().onSuccess();
    }

    /** A target was taken but never called (the request could not be prepared for it). */
    public void abandon(Step.Try t) {
        t.circuit().release();
    }

    public void unready(Step.Unready u) {
        attempts.add(new Attempt(u.target().provider().id(), u.target().model(), "", Attempt.Outcome.NOT_READY, 0, Duration.ZERO));
        upstreams.count(attempts.getLast());
    }

    public List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    private void record(Step.Try t, Attempt.Outcome outcome, int status) {
        Attempt a = new Attempt(t.target().provider().id(), t.target().model(), t.credential(), outcome, status,
                Duration.ofNanos(System.nanoTime() - t.startNanos()));
        attempts.add(a);
        upstreams.count(a);
    }

    /** Whether a target could be tried now: its circuit lets calls through and some credential is not cooling. */
    private boolean available(Route.Target target) {
        Provider provider = target.provider();
        return panic || upstreams.circuit(target).available() && (provider.credentials().isEmpty()
                ? !upstreams.cooldowns().cooling(Upstreams.credentialKey(provider, ""))
                : provider.credentials().stream().anyMatch(c -> !cooling(provider, c)));
    }

    private boolean cooling(Provider provider, Credential c) {
        return upstreams.cooldowns().cooling(Upstreams.credentialKey(provider, c.ref().toString()));
    }

    private Optional<Step> passOver(Route.Target target) {
        if (!passedOver.contains(target)) {
            passedOver.add(target);
        }
        return Optional.empty();
    }

    private Optional<Step> acquire(Route.Target target) {
        Provider provider = target.provider();
        String credential = "";
        Optional<String> secret = Optional.empty();
        // A provider without credentials (a local server) cools as a whole.
        if (provider.credentials().isEmpty() && upstreams.cooldowns().cooling(Upstreams.credentialKey(provider, "")) && !panic) {
            return passOver(target);
        }
        if (!provider.credentials().isEmpty()) {
            List<Credential> usable = provider.credentials().stream().filter(c -> !cooling(provider, c)).toList();
            if (usable.isEmpty()) {
                if (!panic) {
                    return passOver(target);
                }
                usable = provider.credentials();
            }
            Optional<Credentials.Picked> picked = Credentials.pick(usable, routed.session());
            if (picked.isEmpty()) {
                return Optional.of(new Step.Unready(target, Credentials.notReady(provider, usable)));
            }
            credential = picked.get().ref();
            secret = Optional.of(picked.get().secret());
        }
        CircuitBreaker circuit = upstreams.circuit(target);
        if (!circuit.tryAcquire() && !panic) {
            return passOver(target);
        }
        return Optional.of(new Step.Try(target, credential, secret, circuit, System.nanoTime()));
    }
}
