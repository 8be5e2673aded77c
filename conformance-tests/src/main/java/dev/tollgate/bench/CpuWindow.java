package dev.tollgate.bench;

import java.util.Map;

/**
 * Samples CPU time when a measured window opens and closes: the gateway's, the simulator's, this
 * load generator's (all three share the same few cores), and every other process's, to tell how
 * much unrelated work competed with the measurement.
 */
final class CpuWindow implements LoadGen.Window {

    /**
     * CPU ticks spent in one window.
     *
     * @param otherTicks ticks of all other processes alive when the window closed; a lower bound, as
     *                   processes that started and ended inside the window are not seen
     * @param stealTicks ticks the host took this VM's CPUs away while they had work (see {@link ProcStats#stealTicks})
     */
    record Usage(long gatewayTicks, long simTicks, long generatorTicks, long otherTicks, long nanos, long gatewayJitTicks,
                 long stealTicks) {

        /** Cores' worth of CPU that processes other than these three used during the window. */
        double otherCores(long ticksPerSecond) {
            return cores(otherTicks, ticksPerSecond);
        }

        /** Cores' worth of CPU time the host gave to others while this VM wanted it. */
        double stealCores(long ticksPerSecond) {
            return cores(stealTicks, ticksPerSecond);
        }

        private double cores(long ticks, long ticksPerSecond) {
            return nanos <= 0 ? Double.NaN : ticks / (double) ticksPerSecond / (nanos / 1e9);
        }
    }

    private final long gatewayPid;
    private final long simPid;
    private final long selfPid = ProcessHandle.current().pid();
    private Map<Long, Long> before;
    private long jitBefore;
    private long stealBefore;
    private long beforeNanos;
    private Usage usage;

    CpuWindow(long gatewayPid, long simPid) {
        this.gatewayPid = gatewayPid;
        this.simPid = simPid;
    }

    @Override
    public void opened() {
        beforeNanos = System.nanoTime();
        before = ProcStats.allCpuTicks();
        jitBefore = ProcStats.jitTicks(gatewayPid);
        stealBefore = ProcStats.stealTicks();
        requireSampled(before);
    }

    @Override
    public void closed() {
        Map<Long, Long> after = ProcStats.allCpuTicks();
        long nanos = System.nanoTime() - beforeNanos;
        requireSampled(after);
        usage = usage(before, after, gatewayPid, simPid, selfPid, nanos, ProcStats.jitTicks(gatewayPid) - jitBefore,
                ProcStats.stealTicks() - stealBefore);
    }

    Usage usage() {
        return usage;
    }

    static Usage usage(Map<Long, Long> before, Map<Long, Long> after, long gatewayPid, long simPid, long selfPid,
                       long nanos, long gatewayJitTicks, long stealTicks) {
        long other = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            long pid = e.getKey();
            if (pid != gatewayPid && pid != simPid && pid != selfPid) {
                // A process new since the window opened counts whole: it started inside the window.
                other += Math.max(0, e.getValue() - before.getOrDefault(pid, 0L));
            }
        }
        return new Usage(delta(before, after, gatewayPid), delta(before, after, simPid), delta(before, after, selfPid),
                other, nanos, gatewayJitTicks, stealTicks);
    }

    /** CPU microseconds per request from clock ticks ({@code getconf CLK_TCK} ticks per second). */
    static double microsPerRequest(long ticks, long ticksPerSecond, long requests) {
        return requests <= 0 ? Double.NaN : ticks * (1e6 / ticksPerSecond) / requests;
    }

    private static long delta(Map<Long, Long> before, Map<Long, Long> after, long pid) {
        return after.get(pid) - before.get(pid);
    }

    private void requireSampled(Map<Long, Long> ticks) {
        for (long pid : new long[] {gatewayPid, simPid, selfPid}) {
            if (!ticks.containsKey(pid)) {
                throw new IllegalStateException("cannot read /proc/" + pid + "/stat: did the gateway or the simulator exit?");
            }
        }
    }
}
