package dev.tollgate.server.gate;

import dev.tollgate.policy.*;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.budget.*;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.ledger.*;
import java.nio.file.*;
import java.util.*;

/**
 * Measures the gate and the spend ledger in-process, without HTTP: admit, settle and commit one chat body
 * per request. Not a test (no assertions, no timing claims); run by hand, from the repository root:
 * {@code java -XX:+UseSerialGC -Djdk.virtualThreadScheduler.parallelism=1 -cp "server/target/classes:server/target/test-classes:server/target/lib/*"
 * dev.tollgate.server.gate.GateBench conformance-tests/bench/policy-template.yaml BODY.json THREADS}.
 */
public final class GateBench {

    private GateBench() {
    }

    public static void main(String[] a) throws Exception {
        String policy = Files.readString(Path.of(a[0])).replace("@SIM_PORT@", "1");
        PolicySnapshot snap = PolicyLoader.load(Map.of("p.yaml", policy.getBytes()));
        Path state = Files.createTempDirectory("gb");
        Spend spend = new Spend(() -> SqliteLedger.open(state, false), java.time.Clock.systemUTC());
        Gate gate = new Gate(spend);
        byte[] raw = Files.readAllBytes(Path.of(a[1]));
        JsonBody body = JsonBody.parse(raw);
        Call call = new Call(Api.CHAT_COMPLETIONS, "sim/bench", false, body, Map.of(), snap);
        Usage usage = new Usage(300, 40, 0, 0, 0);
        int threads = Integer.parseInt(a[2]);
        for (int round = 0; round < 3; round++) {
            int n = 100_000;
            long t0 = System.nanoTime();
            long cpu0 = java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < n / threads; i++) {
                        Admission ad = gate.admit(snap, "tg-bench-key", call);
                        if (!(ad instanceof Admission.Admitted ok)) throw new IllegalStateException(ad.toString());
                        var settle = new dev.tollgate.server.settle.Settlement(spend, ok.permit());
                        settle.beforeBody(200, usage);
                        settle.finish(200, usage);
                    }
                }));
            }
            for (Thread t : ts) t.join();
            long wall = System.nanoTime() - t0;
            long cpu = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() - cpu0;
            System.out.printf("round %d: %d req, wall %.1f µs/req, cpu %.1f µs/req, %.0f req/s%n", round, n, wall / 1e3 / n, cpu / 1e3 / n, n / (wall / 1e9));
        }
        spend.close();
    }
}
