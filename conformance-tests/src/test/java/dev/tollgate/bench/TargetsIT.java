package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetsIT {

    static LoadResult load(double rate, long errors, double p50, double p99) {
        long ok = (long) (rate * 20);
        LatencyStats lat = new LatencyStats(ok, p50, p50 * 1.2, p99, p99 * 2, p99 * 3);
        return new LoadResult(ok, errors, 20, rate, lat, lat, new LatencyStats(ok, 40, 50, 90, 200, 900), errors > 0 ? "HTTP 502" : null);
    }

    static BenchResults results(LoadResult rateGateway, LoadResult maxGateway, double gatewayCpuUs) {
        return new BenchResults(List.of(
                new Leg(Phase.RATE, Leg.Target.DIRECT, load(2_000, 0, 150, 400), Double.NaN, 40, 30, 0.01),
                new Leg(Phase.RATE, Leg.Target.GATEWAY, rateGateway, gatewayCpuUs, 40, 30, 0.02),
                new Leg(Phase.MAX, Leg.Target.DIRECT, load(50_000, 0, 400, 3_000), Double.NaN, 20, 25, 0),
                new Leg(Phase.MAX, Leg.Target.GATEWAY, maxGateway, 45, 20, 25, 0.5),
                new Leg(Phase.STREAM, Leg.Target.DIRECT, load(200, 0, 300, 900), Double.NaN, 90, 60, 0),
                new Leg(Phase.STREAM, Leg.Target.GATEWAY, load(200, 0, 420, 1_300), 120, 90, 60, 0)),
                300 * 1024, 200 * 1024, 4.5);
    }

    /** The same run with a bare relay's legs at 2,000 req/s and at max throughput. */
    static BenchResults withRelay(BenchResults r, double relayCpuUs) {
        List<Leg> legs = new ArrayList<>(r.legs());
        legs.add(new Leg(Phase.RATE, Leg.Target.RELAY, load(2_000, 0, 200, 600), relayCpuUs, 40, 30, 0.01));
        legs.add(new Leg(Phase.MAX, Leg.Target.RELAY, load(30_000, 0, 500, 5_000), 25, 20, 25, 0));
        return new BenchResults(legs, r.gatewayPeakRssKb(), r.simPeakRssKb(), r.gatewayIdleCpuMsPerSecond());
    }

    @Test
    void theCpuVerdictIsTheGatewaysOwnWithTheBareRelaysFloorBesideIt() {
        BenchResults r = withRelay(results(load(2_000, 0, 250, 1_300), load(12_000, 0, 900, 9_000), 130), 95);
        Verdict cpu = Targets.evaluate(r).get(2);
        assertEquals("130 µs (45 µs at max throughput; bare relay 95 µs)", cpu.measured());
        assertFalse(cpu.pass());
        // The relay's legs change neither the added latency nor the throughput verdict.
        assertEquals("900 µs", Targets.evaluate(r).get(0).measured());
        assertEquals("12,000 req/s", Targets.evaluate(r).get(1).measured());
    }

    @Test
    void addedLatencyIsGatewayMinusDirect() {
        BenchResults r = results(load(2_000, 0, 250, 1_100), load(12_000, 0, 900, 9_000), 80);
        BenchResults.Pair pair = r.pair(Phase.RATE).orElseThrow();
        assertEquals(100, pair.addedLatency().p50(), 1e-9);
        assertEquals(700, pair.addedLatency().p99(), 1e-9);
        assertEquals(120, r.pair(Phase.STREAM).orElseThrow().addedFirstByte().p50(), 1e-9);
    }

    @Test
    void allTargetsMet() {
        List<Verdict> v = Targets.evaluate(results(load(2_000, 0, 250, 1_300), load(12_000, 0, 900, 9_000), 80));
        assertEquals(3, v.size());
        assertTrue(v.stream().allMatch(Verdict::pass), v::toString);
        assertEquals("900 µs", v.get(0).measured());
        assertEquals("12,000 req/s", v.get(1).measured());
        assertEquals("80 µs (45 µs at max throughput)", v.get(2).measured());
    }

    @Test
    void eachTargetCanFailOnItsOwn() {
        List<Verdict> v = Targets.evaluate(results(load(2_000, 0, 250, 1_500), load(9_000, 0, 900, 9_000), 101));
        assertFalse(v.get(0).pass()); // 1,100 µs added at p99
        assertFalse(v.get(1).pass()); // 9,000 req/s
        assertFalse(v.get(2).pass()); // 101 µs
        assertEquals("FAIL", v.get(0).result());
    }

    @Test
    void aLegWithTooManyErrorsCannotPass() {
        // Fast errors must not count as fast answers.
        List<Verdict> v = Targets.evaluate(results(load(2_000, 1_000, 100, 200), load(60_000, 50_000, 100, 200), 10));
        assertTrue(v.stream().noneMatch(Verdict::pass), v::toString);
        assertTrue(v.get(0).measured().contains("gateway 2.4% errors"), v.get(0).measured());
    }

    @Test
    void missingLegsAreNotMeasured() {
        List<Verdict> v = Targets.evaluate(new BenchResults(List.of(), -1, -1, 0));
        assertTrue(v.stream().allMatch(x -> !x.pass() && x.measured().equals("not measured")));
    }
}
