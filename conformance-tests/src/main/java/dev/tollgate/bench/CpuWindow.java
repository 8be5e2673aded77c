package dev.tollgate.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
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
    private Map<Long, Long> proxyWaitBefore;
    private Map<Long, Long> generatorWaitBefore;
    private long proxyWaitNanos;
    private long generatorWaitNanos;
    private long openedAtEpochMs;
    private long closedAtEpochMs;
    private Usage usage;

    CpuWindow(long gatewayPid, long simPid) {
        this.gatewayPid = gatewayPid;
        this.simPid = simPid;
    }

    @Override
    public void opened() {
        openedAtEpochMs = System.currentTimeMillis();
        beforeNanos = System.nanoTime();
        before = ProcStats.allCpuTicks();
        jitBefore = ProcStats.jitTicks(gatewayPid);
        stealBefore = ProcStats.stealTicks();
        proxyWaitBefore = ProcStats.runQueueWaitNanos(gatewayPid);
        generatorWaitBefore = ProcStats.runQueueWaitNanos(selfPid);
        requireSampled(before);
    }

    @Override
    public void closed() {
        Map<Long, Long> after = ProcStats.allCpuTicks();
        proxyWaitNanos = ProcStats.grown(proxyWaitBefore, ProcStats.runQueueWaitNanos(gatewayPid));
        generatorWaitNanos = ProcStats.grown(generatorWaitBefore, ProcStats.runQueueWaitNanos(selfPid));
        long nanos = System.nanoTime() - beforeNanos;
        closedAtEpochMs = System.currentTimeMillis();
        requireSampled(after);
        usage = usage(before, after, gatewayPid, simPid, selfPid, nanos, ProcStats.jitTicks(gatewayPid) - jitBefore,
                ProcStats.stealTicks() - stealBefore);
    }

    Usage usage() {
        return usage;
    }

    /**
     * What stalled requests in this window: the collector's pauses that {@code gcLog} shows inside it
     * (wall clock, as GC logs are stamped; null: none logged) and the threads' waits for a CPU, the
     * proxy's only when {@code proxied} (on direct legs the gateway idles).
     */
    Stalls stalls(Path gcLog, boolean proxied) {
        GcPauses gc = gcLog == null ? null : GcPauses.in(gcLog, openedAtEpochMs, closedAtEpochMs);
        return new Stalls(gc, proxied ? proxyWaitNanos / 1e6 : Double.NaN, generatorWaitNanos / 1e6);
    }

    static Usage usage(Map<Long, Long> before, Map<Long, Long> after, long gatewayPid, long simPid, long selfPid,
                       long nanos, long gatewayJitTicks, long stealTicks) {
        Map<Long, Long> others = new HashMap<>(after);
        others.keySet().removeAll(List.of(gatewayPid, simPid, selfPid));
        long other = ProcStats.grown(before, others);
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
