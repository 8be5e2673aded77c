package dev.tollgate.bench;

import java.util.List;
import java.util.Optional;

/**
 * Everything one bench run measured.
 *
 * @param gatewayPeakRssKb VmHWM of the gateway JVM at the end of the run
 * @param simPeakRssKb     VmHWM of the simulator, for reference
 * @param gatewayIdleCpuMsPerSecond the gateway's CPU use with no traffic (timers, background work)
 */
public record BenchResults(List<Leg> legs, long gatewayPeakRssKb, long simPeakRssKb, double gatewayIdleCpuMsPerSecond) {

    /** Above this much CPU taken by other processes during a leg, the report warns that it is noisy. */
    public static final double NOISY_OTHER_CORES = 0.2;
    /** Above this much CPU time taken by the host during a leg, likewise. */
    public static final double NOISY_STEAL_CORES = 0.05;

    public boolean noisy() {
        return legs.stream().anyMatch(l -> l.otherCores() > NOISY_OTHER_CORES || l.stealCores() > NOISY_STEAL_CORES);
    }

    public Optional<Leg> leg(String phase, Leg.Target target) {
        return legs.stream().filter(l -> l.phase().equals(phase) && l.target() == target).findFirst();
    }

    /** The direct and gateway legs of a phase, when both ran. */
    public Optional<Pair> pair(String phase) {
        return leg(phase, Leg.Target.DIRECT).flatMap(d -> leg(phase, Leg.Target.GATEWAY).map(g -> new Pair(d, g)));
    }

    /** What the gateway adds over talking to the simulator directly. */
    public record Pair(Leg direct, Leg gateway) {

        public LatencyStats addedLatency() {
            return minus(gateway.load().latency(), direct.load().latency());
        }

        public LatencyStats addedFirstByte() {
            return minus(gateway.load().firstByte(), direct.load().firstByte());
        }

        /** Both legs answered (almost) everything, so their percentiles compare like with like. */
        public boolean clean() {
            return direct.load().errorRatio() <= Targets.MAX_ERROR_RATIO
                    && gateway.load().errorRatio() <= Targets.MAX_ERROR_RATIO;
        }

        static LatencyStats minus(LatencyStats a, LatencyStats b) {
            return new LatencyStats(a.count(), a.p50() - b.p50(), a.p90() - b.p90(), a.p99() - b.p99(),
                    a.p999() - b.p999(), a.max() - b.max());
        }
    }
}
