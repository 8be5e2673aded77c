package dev.tollgate.server.replay;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Replays N recorded requests (default 1,000,000 over 7 days; 300 keys in 30 teams of 5 customers,
 * with rate limits and budgets that refuse some) end to end: read the export file, simulate both
 * policies, render the Markdown. Not a test (no timing claims); run by hand from the repository root:
 * {@code java -cp "server/target/classes:server/target/test-classes:server/target/lib/*" dev.tollgate.server.replay.ReplayBench [N]}.
 * With a second argument DIR it only writes DIR/export.ndjson, DIR/old/ and DIR/new/ for timing the CLI:
 * {@code time bin/tollgate replay --base DIR/old --policy DIR/new --requests DIR/export.ndjson}.
 */
public final class ReplayBench {

    private ReplayBench() {
    }

    static String policy(boolean proposed) {
        StringBuilder y = new StringBuilder("""
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                  - {id: other, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: small, targets: [{provider: %s, model: small-up}]}
                  - {name: large, targets: [{provider: up, model: large-up}]}
                pricing:
                  - {model: small, input: %s, output: 4}
                  - {model: large, input: 5, output: 25}
                customers:
                """.formatted(proposed ? "other" : "up", proposed ? "1.5" : "1"));
        for (int c = 0; c < 5; c++) {
            y.append("  - {id: c").append(c).append("}\n");
        }
        y.append("teams:\n");
        for (int t = 0; t < 30; t++) {
            y.append("  - {id: t").append(t).append(", customer: c").append(t % 5)
                    .append(proposed && t % 7 == 0 ? ", deny_models: [large]" : "").append("}\n");
        }
        y.append("keys:\n");
        for (int k = 0; k < 300; k++) {
            if (proposed && k % 50 == 49) {
                continue; // removed
            }
            y.append("  - {id: k").append(k).append(", team: t").append(k % 30).append(", sha256: ")
                    .append(dev.tollgate.policy.Secrets.sha256("k" + k)).append(proposed
                            ? ", limits: {requests_per_minute: 6, tokens_per_hour: 2000000}, budgets: [{amount_usd: 40, period: daily}]"
                            : "").append("}\n");
        }
        return y.toString();
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path keep = args.length > 1 ? Path.of(args[1]) : null;
        Path file = keep == null ? Files.createTempFile("replay-bench", ".ndjson") : Files.createDirectories(keep).resolve("export.ndjson");
        SplittableRandom random = new SplittableRandom(7);
        long start = Instant.parse("2026-11-23T00:00:00Z").toEpochMilli();
        long step = 7L * 86_400_000 / n;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < n; i++) {
                int k = random.nextInt(300);
                boolean large = random.nextInt(4) == 0;
                long in = 2000 + random.nextInt(60_000);
                long out = 50 + random.nextInt(2000);
                w.write("{\"v\":1,\"id\":\"r" + i + "\",\"time\":\"" + Instant.ofEpochMilli(start + i * step) + "\",\"key\":\"k" + k
                        + "\",\"team\":\"t" + (k % 30) + "\",\"customer\":\"c" + (k % 30 % 5) + "\",\"client\":\"codex\",\"api\":\"responses\","
                        + "\"requested_model\":\"" + (large ? "large" : "small") + "\",\"provider\":\"up\",\"model\":\""
                        + (large ? "large-up" : "small-up") + "\",\"status\":200,\"error_type\":null,\"stream\":true,\"input_tokens\":" + in
                        + ",\"output_tokens\":" + out + ",\"cached_tokens\":" + (in / 2) + ",\"cache_write_tokens\":0,\"reasoning_tokens\":"
                        + (out / 3) + ",\"cost_usd\":\"0.01\",\"policy_commit\":\"abc\"}\n");
            }
            w.write("{\"v\":1,\"end\":true,\"records\":" + n + "}\n");
        }
        System.out.println("export: " + n + " records, " + Files.size(file) / (1 << 20) + " MiB");
        if (keep != null) {
            Files.writeString(Files.createDirectories(keep.resolve("new")).resolve("p.yaml"), policy(true));
            Files.writeString(Files.createDirectories(keep.resolve("old")).resolve("p.yaml"), policy(false));
            return;
        }
        PolicySnapshot next = PolicyLoader.load(Map.of("p.yaml", policy(true).getBytes(StandardCharsets.UTF_8)));
        PolicySnapshot base = PolicyLoader.load(Map.of("p.yaml", policy(false).getBytes(StandardCharsets.UTF_8)));
        for (int round = 0; round < 3; round++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long t0 = System.nanoTime();
            long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            int exit = ReplayCommand.run(next, "NEW", base, "OLD", file.toString(), null, "markdown",
                    new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long cpuMs = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1_000_000;
            System.out.println("round " + round + ": exit " + exit + ", " + ms + " ms wall, " + cpuMs + " ms CPU of the replaying thread, "
                    + (n * 1000L / Math.max(1, ms)) + " records/s");
            if (round == 0) {
                System.out.println(out.toString(StandardCharsets.UTF_8).lines().limit(8).reduce("", (a, b) -> a + b + "\n"));
            }
        }
        Files.delete(file);
    }
}
