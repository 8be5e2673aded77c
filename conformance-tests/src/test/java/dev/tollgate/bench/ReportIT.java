package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportIT {

    @Test
    void rendersTargetsPhasesAndMachine() {
        String md = markdown(TargetsIT.results(TargetsIT.load(2_000, 0, 250, 1_300), TargetsIT.load(12_000, 0, 900, 9_000), 80));
        assertTrue(md.contains("| added p99 latency at 2,000 req/s | <= 1,000 µs | 900 µs | **PASS** |"), md);
        assertTrue(md.contains("| **added by the gateway** | | | | +100 | +120 | +900 |"), md);
        assertTrue(md.contains("Through the gateway: 24% of the direct throughput."), md);
        assertTrue(md.contains("| gateway | 300 MB | 4.5 ms/s |"), md);
        assertTrue(md.contains("**Noisy run:**"), md); // 0.5 cores of other work during the max gateway leg
        assertTrue(md.contains("Other processes on the machine meanwhile: 0.00 cores (direct), 0.50 cores (gateway); "
                + "CPU time the host took from this VM (steal): – cores (direct), – cores (gateway)."), md); // steal not measured here
        assertTrue(md.contains("send lag (actual minus intended send time) p50/p99: 40 / 90 µs (direct)"), md);
        assertTrue(md.contains("commit `abc123` · 2 CPUs (AMD EPYC)"), md);
        assertTrue(md.contains("- CPU idle: driver haltpoll, guest halt polling 0 ns\n"), md);
        assertTrue(!md.contains("| bare relay") && !md.contains("The bare relay ("), md); // not run: no row, no floor line
        assertTableRowsHaveTheirHeadersCells(md);
    }

    @Test
    void aRunWithTheBareRelayShowsItsRowsAndTheGatewaysOwnCpuAboveIt() {
        String md = markdown(TargetsIT.withRelay(TargetsIT.results(TargetsIT.load(2_000, 0, 250, 1_300),
                TargetsIT.load(12_000, 0, 900, 9_000), 130), 95));
        assertTrue(md.contains("| bare relay | 40,000 | 0 | 2,000 | 200 | 240 | 600 | 1,200 | 1,800 | 95 | 40 | 30 |"), md);
        assertTrue(md.contains("| bare relay | 600,000 | 0 | 30,000 |"), md);
        assertTrue(md.contains("used 95 µs of CPU a request; the gateway's own work above it: +35 µs."), md);
        assertTrue(md.contains("| gateway CPU per request at 2,000 req/s | <= 100 µs | 130 µs (45 µs at max throughput; bare relay 95 µs) | **FAIL** |"), md);
        // The streaming phase has no relay row, and its table stays whole.
        String streaming = md.substring(md.indexOf("## Streaming"));
        assertTrue(!streaming.substring(0, streaming.indexOf("## Memory")).contains("| bare relay"), streaming);
        assertTableRowsHaveTheirHeadersCells(md);
    }

    @Test
    void whatStalledTheProxyShowsUnderItsPhaseOnly() {
        BenchResults base = TargetsIT.withRelay(TargetsIT.results(TargetsIT.load(2_000, 0, 250, 1_300),
                TargetsIT.load(12_000, 0, 900, 9_000), 130), 95);
        List<Leg> legs = base.legs().stream().map(l -> !l.phase().equals(Phase.RATE) || l.target() == Leg.Target.DIRECT ? l
                : new Leg(l.phase(), l.target(), l.load(), l.gatewayCpuUs(), l.simCpuUs(), l.generatorCpuUs(), l.otherCores(),
                        l.gatewayJitCpuUs(), l.stealCores(),
                        l.target() == Leg.Target.RELAY ? new Stalls(new GcPauses(12, 30.25, 9.5), 310.25, 40)
                                : new Stalls(new GcPauses(11, 17.5, 2.25), 1_250, 55.5), null)).toList();
        String md = markdown(new BenchResults(legs, base.gatewayPeakRssKb(), base.simPeakRssKb(), base.gatewayIdleCpuMsPerSecond()));
        String rate = md.substring(md.indexOf("## Fixed rate"), md.indexOf("## Max throughput"));
        assertTrue(rate.contains("Collector pauses in the proxy during the measured window: bare relay 12 (30.3 ms in all, "
                + "longest 9.5 ms); gateway 11 (17.5 ms in all, longest 2.3 ms)."), rate);
        // The direct leg has no proxy and its generator's wait is unknown here (a report from before it was measured).
        assertTrue(rate.contains("waited for a CPU during the measured window (summed over threads): the proxy's bare relay 310.3 ms, "
                + "gateway 1,250.0 ms; the load generator's bare relay 40.0 ms, gateway 55.5 ms."), rate);
        String rest = md.substring(md.indexOf("## Max throughput"));
        assertTrue(!rest.contains("Collector pauses in the proxy") && !rest.contains("waited for a CPU"), rest);
        assertTableRowsHaveTheirHeadersCells(md);
    }

    @Test
    void aProfiledLegSaysWhereTheProxysCpuWentUnderItsPhaseAndTheRunIsMarked() {
        BenchResults base = TargetsIT.results(TargetsIT.load(2_000, 0, 250, 1_300), TargetsIT.load(12_000, 0, 900, 9_000), 130);
        CpuProfile profile = new CpuProfile(8_000, 0.52, 0.31, 0.12,
                List.of(new CpuProfile.Share("ForkJoinPool-#-worker-#", 0.7), new CpuProfile.Share("Read-Poller", 0.2)),
                List.of(new CpuProfile.Share("finish_task_switch.isra.0_[k]", 0.19)), "/tmp/x/profiles/rate-gateway.collapsed");
        List<Leg> legs = base.legs().stream().map(l -> !l.phase().equals(Phase.RATE) || l.target() != Leg.Target.GATEWAY ? l
                : new Leg(l.phase(), l.target(), l.load(), l.gatewayCpuUs(), l.simCpuUs(), l.generatorCpuUs(), l.otherCores(),
                        l.gatewayJitCpuUs(), l.stealCores(), l.stalls(), profile)).toList();
        String md = markdown(new BenchResults(legs, base.gatewayPeakRssKb(), base.simPeakRssKb(), base.gatewayIdleCpuMsPerSecond()));
        assertTrue(md.contains("- **Profiled run:**"), md);
        String rate = md.substring(md.indexOf("## Fixed rate"), md.indexOf("## Max throughput"));
        assertTrue(rate.contains("Where the gateway's CPU went (8,000 samples, one per ms of CPU; stacks in "
                + "`profiles/rate-gateway.collapsed`): 52% in the kernel, 31% switching threads or waking one, 12% on stacks through Tollgate's code; by thread: "
                + "`ForkJoinPool-#-worker-#` 70%, `Read-Poller` 20%; top frames: `finish_task_switch.isra.0_[k]` 19%."), rate);
        assertTrue(!md.substring(md.indexOf("## Max throughput")).contains("Where the"), md);
        assertTableRowsHaveTheirHeadersCells(md);
    }

    /** The HTTPS leg: the gateway reaching a simulator that serves TLS; the report says what TLS upstream added. */
    @Test
    void theTlsUpstreamLegShowsItsRowsAndWhatTlsAdded() {
        BenchResults base = TargetsIT.results(TargetsIT.load(2_000, 0, 250, 1_300), TargetsIT.load(12_000, 0, 900, 9_000), 80);
        List<Leg> legs = new java.util.ArrayList<>(base.legs());
        legs.add(new Leg(Phase.RATE, Leg.Target.GATEWAY_TLS, TargetsIT.load(2_000, 0, 280, 1_450), 95, 48, 30, 0.01));
        legs.add(new Leg(Phase.MAX, Leg.Target.GATEWAY_TLS, TargetsIT.load(9_000, 0, 1_100, 11_000), 60, 25, 25, 0));
        String md = markdown(new BenchResults(legs, base.gatewayPeakRssKb(), base.simPeakRssKb(), base.gatewayIdleCpuMsPerSecond()));
        assertTrue(md.contains("- \"Gateway, TLS upstream\": the same gateway, its model routed to a second simulator serving HTTPS"), md);
        String rate = md.substring(md.indexOf("## Fixed rate"), md.indexOf("## Max throughput"));
        assertTrue(rate.contains("| gateway, TLS upstream | 40,000 | 0 | 2,000 | 280 | 336 | 1,450 | 2,900 | 4,350 | 95 | 48 | 30 |"), rate);
        assertTrue(rate.contains("TLS from the gateway to the simulator added +30 µs at p50, +150 µs at p99 and +15 µs of gateway CPU a request "
                + "over the plain-HTTP upstream."), rate);
        String max = md.substring(md.indexOf("## Max throughput"), md.indexOf("## Streaming"));
        assertTrue(max.contains("With a TLS upstream: 75% of the plain-HTTP gateway's throughput, +15 µs of gateway CPU a request."), max);
        // The streaming phase ran no TLS leg here: no row, no line.
        String streaming = md.substring(md.indexOf("## Streaming"), md.indexOf("## Memory"));
        assertTrue(!streaming.contains("TLS"), streaming);
        assertTrue(!markdown(base).contains("TLS"), "a run without the leg does not mention it");
        assertTableRowsHaveTheirHeadersCells(md);
    }

    /** The full report of a run on one fixed machine. */
    private static String markdown(BenchResults r) {
        MachineInfo m = new MachineInfo("2026-11-24T00:00:00Z", 2, "AMD EPYC", 24_000, "Linux 6 amd64",
                "25", "/usr/bin/java", "(not set)", "abc123", "driver haltpoll, guest halt polling 0 ns");
        return Report.markdown(r, Targets.evaluate(r), Phase.plan(false), m);
    }

    private static void assertTableRowsHaveTheirHeadersCells(String md) {
        for (String block : md.split("\n\n")) {
            if (block.startsWith("| leg |")) {
                String[] rows = block.split("\n");
                long cells = rows[0].chars().filter(c -> c == '|').count();
                for (String row : rows) {
                    assertTrue(row.chars().filter(c -> c == '|').count() == cells, row);
                }
            }
        }
    }
}
