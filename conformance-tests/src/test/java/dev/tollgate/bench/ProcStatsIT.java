package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcStatsIT {

    @Test
    void cpuTicksAreUtimePlusStimeEvenWhenTheCommandHasSpacesAndParentheses() {
        String stat = "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 52000 0 12 0 1234 567 0 0 20 0 41 0 "
                + "8000 4000000000 90000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
        assertEquals(1234 + 567, ProcStats.parseCpuTicks(stat));
    }

    @Test
    void readsKilobyteFieldsOfProcStatus() {
        String status = "Name:\tjava\nVmPeak:\t 4000000 kB\nVmHWM:\t  312456 kB\nVmRSS:\t  300000 kB\nThreads:\t41\n";
        assertEquals(312_456, ProcStats.parseStatusKb(status, "VmHWM"));
        assertEquals(300_000, ProcStats.parseStatusKb(status, "VmRSS"));
        assertEquals(-1, ProcStats.parseStatusKb(status, "VmSwap"));
    }

    @Test
    void otherProcessesAreEveryoneButTheGatewayTheSimulatorAndUs() {
        // pids 1, 2, 3: gateway, simulator, generator. 40 is busy, 41 starts inside the window, 42 exits.
        Map<Long, Long> before = Map.of(1L, 100L, 2L, 50L, 3L, 10L, 40L, 1_000L, 42L, 7L);
        Map<Long, Long> after = Map.of(1L, 220L, 2L, 100L, 3L, 40L, 40L, 1_080L, 41L, 20L);
        CpuWindow.Usage u = CpuWindow.usage(before, after, 1, 2, 3, 2_000_000_000L, 0, 20);
        assertEquals(120, u.gatewayTicks());
        assertEquals(50, u.simTicks());
        assertEquals(30, u.generatorTicks());
        assertEquals(100, u.otherTicks());
        assertEquals(0.5, u.otherCores(100), 1e-9); // 1 s of CPU over 2 s
        assertEquals(0.1, u.stealCores(100), 1e-9); // 0.2 s stolen over 2 s
    }

    @Test
    void stealIsTheEighthColumnOfTheCpuLine() {
        assertEquals(5311, ProcStats.parseStealTicks("cpu  78685 0 32682 227973 386 0 10246 5311 0 0"));
        assertEquals(0, ProcStats.parseStealTicks("cpu 1 2 3 4 5 6 7")); // an old kernel without the column
    }

    @Test
    void runQueueWaitIsTheSecondFieldOfSchedstat() {
        assertEquals(2_500_000_123L, ProcStats.parseRunQueueWaitNanos("974187000 2500000123 42\n"));
    }

    @Test
    void waitsGrowPerThreadAndAThreadStartedInTheWindowCountsWhole() {
        // thread 7 waited 5 more, 8 started and waited 3, 9 ended: its wait is not seen.
        assertEquals(8, ProcStats.grown(Map.of(7L, 100L, 9L, 50L), Map.of(7L, 105L, 8L, 3L)));
    }

    @Test
    void cpuPerRequestConvertsClockTicks() {
        // 250 ticks of 10 ms = 2.5 s of CPU over 40,000 requests.
        assertEquals(62.5, CpuWindow.microsPerRequest(250, 100, 40_000), 1e-9);
        assertEquals(Double.NaN, CpuWindow.microsPerRequest(5, 100, 0));
    }
}
