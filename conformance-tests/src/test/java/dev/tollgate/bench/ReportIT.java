package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** The full report of a run on one fixed machine. */
    private static String markdown(BenchResults r) {
        MachineInfo m = new MachineInfo("2026-11-24T00:00:00Z", 2, "AMD EPYC", 24_000, "Linux 6 amd64",
                "25", "/usr/bin/java", "(not set)", "abc123");
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
