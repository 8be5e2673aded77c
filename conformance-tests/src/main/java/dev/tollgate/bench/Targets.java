package dev.tollgate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The gateway's performance targets, judged from one bench run. */
public final class Targets {

    /** Added p99 latency at 2,000 req/s. */
    public static final double MAX_ADDED_P99_US = 1_000;
    /** Closed-loop throughput through the gateway. */
    public static final double MIN_GATEWAY_RATE = 10_000;
    /** Gateway CPU time per request at 2,000 req/s. */
    public static final double MAX_GATEWAY_CPU_US = 100;
    /** Above this share of failed requests a leg's numbers do not count. */
    public static final double MAX_ERROR_RATIO = 0.01;

    private Targets() {
    }

    public static List<Verdict> evaluate(BenchResults r) {
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(addedP99(r.pair(Phase.RATE)));
        verdicts.add(maxRate(r.leg(Phase.MAX, Leg.Target.GATEWAY)));
        verdicts.add(cpu(r.leg(Phase.RATE, Leg.Target.GATEWAY), r.leg(Phase.MAX, Leg.Target.GATEWAY),
                r.leg(Phase.RATE, Leg.Target.RELAY)));
        return verdicts;
    }

    private static Verdict addedP99(Optional<BenchResults.Pair> pair) {
        String name = "added p99 latency at 2,000 req/s";
        String goal = String.format("<= %,.0f µs", MAX_ADDED_P99_US);
        if (pair.isEmpty()) {
            return new Verdict(name, goal, "not measured", false);
        }
        if (!pair.get().clean()) {
            return new Verdict(name, goal, errorsNote(pair.get().direct(), pair.get().gateway()), false);
        }
        double added = pair.get().addedLatency().p99();
        return new Verdict(name, goal, String.format("%,.0f µs", added), added <= MAX_ADDED_P99_US);
    }

    private static Verdict maxRate(Optional<Leg> gateway) {
        String name = "max throughput through the gateway";
        String goal = String.format(">= %,.0f req/s", MIN_GATEWAY_RATE);
        if (gateway.isEmpty()) {
            return new Verdict(name, goal, "not measured", false);
        }
        LoadResult load = gateway.get().load();
        if (load.errorRatio() > MAX_ERROR_RATIO) {
            return new Verdict(name, goal, errorsNote(gateway.get()), false);
        }
        return new Verdict(name, goal, String.format("%,.0f req/s", load.achievedRate()),
                load.achievedRate() >= MIN_GATEWAY_RATE);
    }

    /** Judged on the gateway's own figure; the others say how much of it the machine charges any proxy. */
    private static Verdict cpu(Optional<Leg> gateway, Optional<Leg> atMax, Optional<Leg> relay) {
        String name = "gateway CPU per request at 2,000 req/s";
        String goal = String.format("<= %,.0f µs", MAX_GATEWAY_CPU_US);
        if (gateway.isEmpty() || Double.isNaN(gateway.get().gatewayCpuUs())) {
            return new Verdict(name, goal, "not measured", false);
        }
        if (gateway.get().load().errorRatio() > MAX_ERROR_RATIO) {
            return new Verdict(name, goal, errorsNote(gateway.get()), false);
        }
        double us = gateway.get().gatewayCpuUs();
        List<String> context = new ArrayList<>();
        atMax.filter(l -> !Double.isNaN(l.gatewayCpuUs()))
                .ifPresent(l -> context.add(String.format("%,.0f µs at max throughput", l.gatewayCpuUs())));
        relay.filter(l -> !Double.isNaN(l.gatewayCpuUs()) && l.load().errorRatio() <= MAX_ERROR_RATIO)
                .ifPresent(l -> context.add(String.format("bare relay %,.0f µs", l.gatewayCpuUs())));
        String measured = String.format("%,.0f µs", us) + (context.isEmpty() ? "" : " (" + String.join("; ", context) + ")");
        return new Verdict(name, goal, measured, us <= MAX_GATEWAY_CPU_US);
    }

    private static String errorsNote(Leg... legs) {
        StringBuilder s = new StringBuilder("invalid:");
        for (Leg leg : legs) {
            if (leg.load().errorRatio() > MAX_ERROR_RATIO) {
                s.append(String.format(" %s %.1f%% errors", leg.target().label(), 100 * leg.load().errorRatio()));
            }
        }
        return s.toString();
    }
}
