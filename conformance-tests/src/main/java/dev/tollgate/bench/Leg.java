package dev.tollgate.bench;

/**
 * One phase against one target.
 *
 * @param gatewayCpuUs CPU µs per request of the proxy in the path during the measured window: the gateway's,
 *                     or on a relay leg the bare relay's (NaN on direct legs: nothing is in the path)
 * @param simCpuUs     simulator CPU µs per request during the measured window
 * @param generatorCpuUs the load generator's own CPU µs per request (it shares the cores)
 * @param otherCores     cores' worth of CPU other processes on the machine used meanwhile (noise)
 * @param gatewayJitCpuUs the part of {@code gatewayCpuUs} its JIT compiler threads took (warm-up left over)
 * @param stealCores     cores' worth of CPU time the host gave to other guests while this VM wanted it (noise
 *                       no process here can see; NaN when not measured)
 * @param stalls         collector pauses and waits for a CPU during the measured window
 * @param profile        where the proxy's CPU went in the measured window (null: not profiled, see {@link Profiler})
 */
public record Leg(String phase, Target target, LoadResult load, double gatewayCpuUs, double simCpuUs,
                  double generatorCpuUs, double otherCores, double gatewayJitCpuUs, double stealCores, Stalls stalls,
                  CpuProfile profile) {

    public Leg(String phase, Target target, LoadResult load, double gatewayCpuUs, double simCpuUs, double generatorCpuUs,
               double otherCores) {
        this(phase, target, load, gatewayCpuUs, simCpuUs, generatorCpuUs, otherCores, Double.NaN, Double.NaN, Stalls.UNKNOWN, null);
    }

    public enum Target {
        DIRECT("direct"),
        /** {@link BareRelay}: the floor under any proxy on this stack, on this machine. */
        RELAY("bare relay"),
        GATEWAY("gateway"),
        /** The gateway with the simulator served over HTTPS (a second simulator process): what TLS upstream costs. */
        GATEWAY_TLS("gateway, TLS upstream");

        private final String label;

        Target(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
