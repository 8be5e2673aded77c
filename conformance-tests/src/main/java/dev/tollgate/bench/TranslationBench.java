package dev.tollgate.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The cost of translation: a Responses client streaming from an Anthropic upstream against the
 * same client on a Responses upstream (bytes passed through), both through the gateway at the same
 * fixed rate. Reports the added time to first byte and gateway CPU per request; writes
 * {@code translation.md}. Run by {@code bench/run.sh} after {@link BenchRun}, on the same processes.
 */
public final class TranslationBench {

    /** A small Codex-like turn: instructions, one user message, one tool, streamed. */
    private static final String BODY = """
            {"model":"%s","stream":true,"store":false,"instructions":"You are a coding agent. Be brief.",
             "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Say hello to the benchmark."}]}],
             "tools":[{"type":"function","name":"read_file","description":"Reads a file.","strict":false,
                       "parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}]}
            """;

    private TranslationBench() {
    }

    private record Leg(String label, LoadResult load, double gatewayCpuUs, double jitCpuUs) {
    }

    private static final List<String> HEADERS = new java.util.ArrayList<>();

    public static void main(String[] args) throws Exception {
        URI gateway = null;
        long gatewayPid = -1;
        long simPid = -1;
        long clkTck = 100;
        Path out = Path.of("conformance-tests/bench/results");
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--gateway-url" -> gateway = URI.create(args[++i]);
                case "--gateway-pid" -> gatewayPid = Long.parseLong(args[++i]);
                case "--sim-pid" -> simPid = Long.parseLong(args[++i]);
                case "--clk-tck" -> clkTck = Long.parseLong(args[++i]);
                case "--out-dir" -> out = Path.of(args[++i]);
                case "--header" -> HEADERS.add(args[++i]); // the bench key when governance is on
                default -> { } // BenchRun's other options do not apply here
            }
        }
        if (gateway == null || gatewayPid < 0 || simPid < 0) {
            System.err.println("usage: TranslationBench --gateway-url URL --gateway-pid PID --sim-pid PID [--clk-tck N] [--out-dir DIR] [--quick]");
            System.exit(2);
        }
        long gatewayJava = ProcStats.javaPid(gatewayPid);
        long simJava = ProcStats.javaPid(simPid);
        URI url = gateway.resolve("/v1/responses");
        Duration warmup = Duration.ofSeconds(quick ? 1 : 3);
        Duration measured = Duration.ofSeconds(quick ? 3 : 15);
        double rate = 200;

        List<String[]> legs = List.of(new String[] {"same format (Responses -> Responses, bytes passed through)", "sim/responses"},
                new String[] {"translated (Responses -> Anthropic Messages -> Responses)", "sim/anthropic"});
        // Untimed, at full speed: a few seconds at 200 req/s is far from the ~10,000 calls after which
        // C2 compiles a path, and a leg measured while it compiles says more about the JIT than the path.
        for (String[] leg : legs) {
            LoadGen.run(new LoadConfig(request(url, leg[1]), LoadConfig.Mode.MAX, 0, 16, Duration.ZERO, Duration.ofSeconds(quick ? 1 : 10), false));
        }
        Leg[] results = new Leg[legs.size()];
        for (int i = 0; i < legs.size(); i++) {
            CpuWindow cpu = new CpuWindow(gatewayJava, simJava);
            LoadResult load = LoadGen.run(new LoadConfig(request(url, legs.get(i)[1]), LoadConfig.Mode.RATE, rate, 16, warmup, measured, false), cpu);
            results[i] = new Leg(legs.get(i)[0], load, CpuWindow.microsPerRequest(cpu.usage().gatewayTicks(), clkTck, load.requests()),
                    CpuWindow.microsPerRequest(cpu.usage().gatewayJitTicks(), clkTck, load.requests()));
            System.err.printf("bench: %s: %s%n", results[i].label(), load.format().replace("\n", "; "));
            Thread.sleep(1_000);
        }
        StringBuilder md = new StringBuilder("## Translation cost (streaming, %,.0f req/s, %d s measured per leg)%n%n".formatted(rate, measured.toSeconds()));
        md.append("| path | errors | first byte p50 µs | first byte p99 µs | latency p50 µs | gateway CPU µs/req |\n|---|---|---|---|---|---|\n");
        for (Leg l : results) {
            md.append(String.format("| %s | %,d | %,.0f | %,.0f | %,.0f | %,.0f (JIT %,.0f) |%n", l.label(), l.load().errors(),
                    l.load().firstByte().p50(), l.load().firstByte().p99(), l.load().latency().p50(), l.gatewayCpuUs(), l.jitCpuUs()));
        }
        md.append(String.format("%nAdded by translation: first byte p50 %+,.0f µs, p99 %+,.0f µs; gateway CPU %+,.0f µs per request.%n",
                results[1].load().firstByte().p50() - results[0].load().firstByte().p50(),
                results[1].load().firstByte().p99() - results[0].load().firstByte().p99(),
                results[1].gatewayCpuUs() - results[0].gatewayCpuUs()));
        System.out.println();
        System.out.print(md);
        Files.createDirectories(out);
        Files.writeString(out.resolve("translation.md"), md.toString(), StandardCharsets.UTF_8);
    }

    private static HttpRequest request(URI url, String model) {
        return HttpRequest.postJson(url, BODY.formatted(model).getBytes(StandardCharsets.UTF_8), true, HEADERS);
    }
}
