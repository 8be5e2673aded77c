package dev.tollgate.server.replay;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.server.gate.Simulator;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Replays recorded requests against a proposed policy, in time order, and counts per key, team and
 * customer what would change: refusals and why, routes, spend. With a base policy both are simulated
 * side by side and only differences count; without one the recording itself is the base (what was
 * served, where it went, what it cost).
 *
 * <p>Only requests the gateway served (status below 400) are replayed: a request refused at the time
 * has no usage to price, and what a looser policy would have let through cannot be known from it.
 */
final class Replay {

    /** What changes for one key, team or customer. Mutable while the replay runs. */
    static final class Tally {
        long requests;
        long nowRefused;
        long nowAdmitted;
        final Map<Simulator.Reason, Long> reasons = new EnumMap<>(Simulator.Reason.class);
        /** The first refusal of each reason, as an example a reviewer can check. */
        final Map<Simulator.Reason, String> examples = new EnumMap<>(Simulator.Reason.class);
        /** The day a budget first ran out. */
        LocalDate budgetOut;
        long rerouted;
        long reroutedNanos;
        final Map<String, Long> reroutes = new TreeMap<>();
        long beforeNanos;
        long afterNanos;
        long beforeUnpriced;
        long afterUnpriced;

        boolean changed() {
            return nowRefused > 0 || nowAdmitted > 0 || rerouted > 0 || beforeNanos != afterNanos || afterUnpriced > beforeUnpriced;
        }
    }

    /** The outcome: totals and the three breakdowns, ordered by id. */
    record Result(Tally total, Map<String, Tally> keys, Map<String, Tally> teams, Map<String, Tally> customers, long replayed,
                  long notServed, Long firstMillis, Long lastMillis, boolean withBase) {
    }

    private Replay() {
    }

    static Result run(PolicySnapshot next, PolicySnapshot base, List<Recorded> records) {
        Simulator after = new Simulator();
        Simulator before = base == null ? null : new Simulator();
        Tally total = new Tally();
        Map<String, Tally> keys = new TreeMap<>();
        Map<String, Tally> teams = new TreeMap<>();
        Map<String, Tally> customers = new TreeMap<>();
        long replayed = 0;
        long notServed = 0;
        Long first = null;
        Long last = null;
        Map<Route, String> routes = new java.util.IdentityHashMap<>(); // a snapshot's routes do not change: described once
        for (Recorded r : records) {
            if (r.status() >= 400) {
                notServed++;
                continue;
            }
            replayed++;
            first = first == null ? r.atMillis() : first;
            last = r.atMillis();
            Simulator.Verdict now = after.decide(next, r.atMillis(), r.key(), r.requestedModel(), r.usage());
            Simulator.Verdict was = before == null ? null : before.decide(base, r.atMillis(), r.key(), r.requestedModel(), r.usage());
            String move = move(r, was, now, routes);
            count(total, r, was, now, move);
            count(tally(keys, r.key()), r, was, now, move);
            count(tally(teams, r.team()), r, was, now, move);
            count(tally(customers, r.customer()), r, was, now, move);
        }
        return new Result(total, keys, teams, customers, replayed, notServed, first, last, base != null);
    }

    private static Tally tally(Map<String, Tally> map, String id) {
        return map.computeIfAbsent(id == null ? "(none)" : id, k -> new Tally());
    }

    /** "model: from -> to" when a request served before and now goes elsewhere; else null. */
    private static String move(Recorded r, Simulator.Verdict was, Simulator.Verdict now, Map<Route, String> routes) {
        if (!(now instanceof Simulator.Admitted a) || (was != null && !(was instanceof Simulator.Admitted))) {
            return null;
        }
        String from = was == null ? recordedTarget(r) : routes.computeIfAbsent(((Simulator.Admitted) was).route(), Replay::primaries);
        String to = routes.computeIfAbsent(a.route(), Replay::primaries);
        // Against the recording: moved when the target it went to is none of the new route's primaries.
        boolean moved = from != null && (was == null ? !(to.equals(from) || List.of(to.split(" \\+ ")).contains(from)) : !from.equals(to));
        return moved ? r.requestedModel() + ": " + from + " -> " + to : null;
    }

    private static void count(Tally t, Recorded r, Simulator.Verdict was, Simulator.Verdict now, String move) {
        t.requests++;
        boolean servedBefore = was == null || was instanceof Simulator.Admitted;
        if (was == null) {
            if (r.costNanos() < 0) {
                t.beforeUnpriced++;
            } else {
                t.beforeNanos += r.costNanos();
            }
        } else if (was instanceof Simulator.Admitted a) {
            t.beforeNanos += a.nanos();
            t.beforeUnpriced += a.priced() ? 0 : 1;
        }
        switch (now) {
            case Simulator.Refused refused -> {
                if (servedBefore) {
                    t.nowRefused++;
                    t.reasons.merge(refused.reason(), 1L, Long::sum);
                    t.examples.putIfAbsent(refused.reason(), refused.detail());
                    if (refused.reason() == Simulator.Reason.BUDGET && t.budgetOut == null) {
                        t.budgetOut = refused.day();
                    }
                }
            }
            case Simulator.Admitted a -> {
                t.afterNanos += a.nanos();
                t.afterUnpriced += a.priced() ? 0 : 1;
                if (!servedBefore) {
                    t.nowAdmitted++;
                } else if (move != null) {
                    t.rerouted++;
                    t.reroutedNanos += a.nanos();
                    t.reroutes.merge(move, 1L, Long::sum);
                }
            }
        }
    }

    /** Where the request went at the time; null when the record does not say. */
    private static String recordedTarget(Recorded r) {
        return r.provider() == null || r.model() == null ? null : r.provider() + "/" + r.model();
    }

    /** The targets that share a route's traffic (fallbacks aside), e.g. "openai/gpt-5 + azure/gpt-5". */
    static String primaries(Route route) {
        if (route == null || route.targets().isEmpty()) {
            return "(no route)";
        }
        return route.targets().subList(0, Math.min(route.primaries(), route.targets().size())).stream()
                .map(t -> t.provider().id() + "/" + t.model()).sorted().distinct().collect(Collectors.joining(" + "));
    }

    static Map<String, Long> topReroutes(Tally t, int n) {
        Map<String, Long> out = new LinkedHashMap<>();
        t.reroutes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
