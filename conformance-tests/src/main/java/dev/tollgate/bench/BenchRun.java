package dev.tollgate.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the benchmark against an already started simulator and gateway (see
 * {@code conformance-tests/bench/run.sh}, which starts and stops them): readiness, one sanity request
 * per target, an untimed warm-up, then every {@link Phase} straight at the simulator and through the
 * gateway, sampling both processes' CPU time around each measured window. Writes {@code latest.md}
 * and {@code latest.json}. Exits 0 when it ran, whatever the verdicts; 1 when it could not run.
 */
public final class BenchRun {

    private static final String CHAT_PATH = "/v1/chat/completions";

    private final Options o;
    private final Probe probe = new Probe();

    private BenchRun(Options options) {
        this.o = options;
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("BenchRun: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        try {
            new BenchRun(options).run();
        } catch (BenchFailure e) {
            System.err.println("bench: could not run: " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            System.err.println("bench: could not run:");
            e.printStackTrace();
            System.exit(1);
        }
    }

    private void run() throws Exception {
        log("waiting for the simulator and the gateway");
        probe.awaitReady("simulator", o.simUrl.resolve("/v1/models"), o.simPid, o.readyTimeout);
        probe.awaitReady("gateway", o.gatewayUrl.resolve(o.gatewayReadyPath), o.gatewayPid, o.readyTimeout);
        // Resolve after readiness: a launcher script may start its JVM only after a moment.
        long gatewayJava = ProcStats.javaPid(o.gatewayPid);
        long simJava = ProcStats.javaPid(o.simPid);
        log("gateway JVM pid " + gatewayJava + ", simulator JVM pid " + simJava);
        Map<Leg.Target, URI> urls = new EnumMap<>(Leg.Target.class);
        urls.put(Leg.Target.DIRECT, o.simUrl.resolve(CHAT_PATH));
        urls.put(Leg.Target.GATEWAY, o.gatewayUrl.resolve(CHAT_PATH));
        long relayJava = -1;
        if (o.relayUrl != null) {
            probe.awaitReady("bare relay", o.relayUrl.resolve("/health"), o.relayPid, o.readyTimeout);
            urls.put(Leg.Target.RELAY, o.relayUrl.resolve(CHAT_PATH));
            relayJava = ProcStats.javaPid(o.relayPid);
        }
        long tlsSimJava = -1;
        if (o.tlsModel != null) {
            // The same gateway, with a model routed to a second simulator that serves HTTPS.
            urls.put(Leg.Target.GATEWAY_TLS, o.gatewayUrl.resolve(CHAT_PATH));
            tlsSimJava = ProcStats.javaPid(o.tlsSimPid);
        }
        for (Leg.Target target : urls.keySet()) {
            for (boolean stream : new boolean[] {false, true}) {
                if (runs(target, stream)) {
                    probe.checkChat(target.label(), urls.get(target), ChatBody.realistic(model(target), stream), stream, o.headers);
                }
            }
        }

        Profiler profiler = o.profilerLibrary == null ? null : new Profiler(o.profilerLibrary, o.outDir.resolve("profiles"));
        List<Phase> plan = Phase.plan(o.quick);
        warmUp(urls);
        double idleMsPerSecond = idleCpu(gatewayJava);
        List<Leg> legs = new ArrayList<>();
        int step = 0;
        long steps = plan.stream().mapToLong(p -> urls.keySet().stream().filter(t -> runs(t, p.stream())).count()).sum();
        for (Phase phase : plan) {
            for (Leg.Target target : urls.keySet()) {
                if (!runs(target, phase.stream())) {
                    continue;
                }
                step++;
                requireAlive(gatewayJava, "gateway");
                requireAlive(simJava, "simulator");
                byte[] body = ChatBody.realistic(model(target), phase.stream());
                HttpRequest request = HttpRequest.postJson(urls.get(target), body, phase.stream(), o.headers);
                log(String.format("[%d/%d] %s, %s: %s", step, steps, phase.title(), target.label(), phase.describe()));
                // On direct legs the gateway idles; its ticks are not reported.
                long proxyJava = target == Leg.Target.RELAY ? relayJava : gatewayJava;
                CpuWindow cpu = new CpuWindow(proxyJava, target == Leg.Target.GATEWAY_TLS ? tlsSimJava : simJava);
                boolean proxied = target != Leg.Target.DIRECT;
                Profiler.Session profiling = profiler != null && proxied
                        ? profiler.session(proxyJava, phase.key() + "-" + target.name().toLowerCase(java.util.Locale.ROOT)) : null;
                LoadResult load = LoadGen.run(phase.config(request), profiling == null ? cpu : LoadGen.Window.nested(profiling, cpu));
                CpuWindow.Usage used = cpu.usage();
                double proxyCpu = proxied ? CpuWindow.microsPerRequest(used.gatewayTicks(), o.clkTck, load.requests()) : Double.NaN;
                double simCpu = CpuWindow.microsPerRequest(used.simTicks(), o.clkTck, load.requests());
                double ownCpu = CpuWindow.microsPerRequest(used.generatorTicks(), o.clkTck, load.requests());
                double otherCores = used.otherCores(o.clkTck);
                double stealCores = used.stealCores(o.clkTck);
                double jitCpu = proxied ? CpuWindow.microsPerRequest(used.gatewayJitTicks(), o.clkTck, load.requests()) : Double.NaN;
                Path gcLog = target == Leg.Target.RELAY ? o.relayGcLog : target == Leg.Target.DIRECT ? null : o.gatewayGcLog;
                Stalls stalls = cpu.stalls(gcLog, proxied);
                CpuProfile profile = profiling == null ? null : profiling.profile();
                legs.add(new Leg(phase.key(), target, load, proxyCpu, simCpu, ownCpu, otherCores, jitCpu, stealCores, stalls, profile));
                log(String.format("      %,.0f req/s, errors %,d, p50 %,.0f µs, p99 %,.0f µs, first byte p50 %,.0f µs; "
                                + "CPU µs/req: proxy %s (JIT %s), sim %,.0f, generator %,.0f; other processes %.2f cores, host steal %.2f cores",
                        load.achievedRate(), load.errors(), load.latency().p50(), load.latency().p99(),
                        load.firstByte().p50(), Double.isNaN(proxyCpu) ? "–" : String.format("%,.0f", proxyCpu),
                        Double.isNaN(jitCpu) ? "–" : String.format("%,.0f", jitCpu), simCpu, ownCpu, otherCores, stealCores));
                GcPauses gc = stalls.proxyGc();
                log(String.format("      waited for a CPU: proxy %.1f ms, generator %.1f ms%s", stalls.proxyRunQueueMs(),
                        stalls.generatorRunQueueMs(), gc == null ? ""
                                : String.format("; proxy GC pauses: %d, total %.1f ms, longest %.1f ms", gc.count(), gc.totalMs(), gc.maxMs())));
                if (profile != null) {
                    log(String.format("      profile: %,d samples, %.0f%% in the kernel, %.0f%% switching or waking threads (%s)",
                            profile.samples(), 100 * profile.kernelShare(), 100 * profile.schedulerShare(), profile.file()));
                }
                if (load.sendLag().count() > 0) {
                    log(String.format("      generator send lag p50 %,.0f µs, p99 %,.0f µs", load.sendLag().p50(), load.sendLag().p99()));
                }
                if (load.firstError() != null) {
                    log("      first error: " + load.firstError());
                }
                Thread.sleep(1_000); // let in-flight work and GC settle between legs
            }
        }

        BenchResults results = new BenchResults(legs,
                ProcStats.statusKb(gatewayJava, "VmHWM"), ProcStats.statusKb(simJava, "VmHWM"), idleMsPerSecond);
        List<Verdict> verdicts = Targets.evaluate(results);
        MachineInfo machine = MachineInfo.collect(gatewayJava, o.commit);
        String markdown = Report.markdown(results, verdicts, plan, machine);
        System.out.println();
        System.out.print(markdown);
        write(markdown, results, verdicts, plan, machine);
    }

    private String model(Leg.Target target) {
        return target == Leg.Target.GATEWAY_TLS ? o.tlsModel : o.model;
    }

    /** The bare relay only forwards whole answers, so it sits out the streaming phase. */
    private static boolean runs(Leg.Target target, boolean stream) {
        return target != Leg.Target.RELAY || !stream;
    }

    /** Untimed load on every target so that no JVM is measured while its JIT is still compiling. */
    private void warmUp(Map<Leg.Target, URI> urls) throws InterruptedException {
        // C2 keeps compiling for tens of seconds at 2,000 req/s; at full speed it is done sooner. What is
        // left over shows in each leg's JIT column.
        Duration each = Duration.ofSeconds(o.quick ? 1 : 10);
        log("warming up every target (" + 2 * each.toSeconds() + " s each)");
        for (Leg.Target target : urls.keySet()) {
            for (boolean stream : new boolean[] {false, true}) {
                if (!runs(target, stream)) {
                    continue;
                }
                HttpRequest request = HttpRequest.postJson(urls.get(target), ChatBody.realistic(model(target), stream), stream, o.headers);
                LoadGen.run(new LoadConfig(request, LoadConfig.Mode.MAX, 0, 16, Duration.ZERO, each, false));
            }
        }
    }

    /** The gateway's CPU use with no traffic, in ms per second; it is part of every per-request figure. */
    private double idleCpu(long gatewayJava) throws InterruptedException, IOException {
        Duration idle = Duration.ofSeconds(o.quick ? 2 : 5);
        Thread.sleep(1_000); // let the warm-up's last requests and their GC finish
        long before = ProcStats.cpuTicks(gatewayJava);
        Thread.sleep(idle.toMillis());
        double ms = (ProcStats.cpuTicks(gatewayJava) - before) * 1_000.0 / o.clkTck / idle.toSeconds();
        log(String.format("gateway idle CPU: %.1f ms/s", ms));
        return ms;
    }

    private void write(String markdown, BenchResults results, List<Verdict> verdicts, List<Phase> plan,
                       MachineInfo machine) throws IOException {
        Files.createDirectories(o.outDir);
        Path md = o.outDir.resolve("latest.md");
        Files.writeString(md, markdown);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", machine);
        json.put("phases", plan.stream().map(p -> Map.of("key", p.key(), "title", p.title(), "load", p.describe())).toList());
        json.put("results", results);
        json.put("verdicts", verdicts);
        Path js = o.outDir.resolve("latest.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(js.toFile(), json);
        log("wrote " + md + " and " + js);
    }

    private static void requireAlive(long pid, String what) {
        if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
            throw new BenchFailure(what + " (pid " + pid + ") exited during the run; see its log");
        }
    }

    private static void log(String line) {
        System.err.println("bench: " + line);
    }

    /** Command-line options; run.sh fills in the ports and PIDs. */
    private static final class Options {
        static final String USAGE = """
                usage: BenchRun --sim-url http://127.0.0.1:P1 --sim-pid PID1
                                --gateway-url http://127.0.0.1:P2 --gateway-pid PID2
                                [--clk-tck N] [--out-dir DIR] [--quick] [--commit SHA] [--model sim/bench]
                                [--header 'Name: value']... [--gateway-ready-path /health/ready] [--ready-timeout S]
                                [--relay-url http://127.0.0.1:P3 --relay-pid PID3]
                                [--gateway-gc-log F] [--relay-gc-log F]   (-Xlog:gc:file=F:timemillis)
                                [--profiler-lib libasyncProfiler.so]      (profile the proxy in each proxied window)
                                [--tls-model sim-tls/bench --tls-sim-pid PID4] (a leg through the gateway to a simulator
                                                                           serving HTTPS, routed by that model)""";

        URI simUrl;
        URI gatewayUrl;
        long simPid = -1;
        long gatewayPid = -1;
        URI relayUrl;
        long relayPid = -1;
        Path gatewayGcLog;
        Path relayGcLog;
        Path profilerLibrary;
        String tlsModel;
        long tlsSimPid = -1;
        long clkTck = 100;
        Path outDir = Path.of("conformance-tests/bench/results");
        boolean quick;
        String commit;
        String model = "sim/bench";
        List<String> headers = new ArrayList<>();
        String gatewayReadyPath = "/health/ready";
        Duration readyTimeout = Duration.ofSeconds(120); // bin scripts may build on first use

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--quick")) {
                    o.quick = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value after " + a);
                }
                String v = args[++i];
                switch (a) {
                    case "--sim-url" -> o.simUrl = URI.create(v);
                    case "--gateway-url" -> o.gatewayUrl = URI.create(v);
                    case "--sim-pid" -> o.simPid = Long.parseLong(v);
                    case "--gateway-pid" -> o.gatewayPid = Long.parseLong(v);
                    case "--relay-url" -> o.relayUrl = URI.create(v);
                    case "--relay-pid" -> o.relayPid = Long.parseLong(v);
                    case "--gateway-gc-log" -> o.gatewayGcLog = Path.of(v);
                    case "--relay-gc-log" -> o.relayGcLog = Path.of(v);
                    case "--profiler-lib" -> o.profilerLibrary = Path.of(v);
                    case "--tls-model" -> o.tlsModel = v;
                    case "--tls-sim-pid" -> o.tlsSimPid = Long.parseLong(v);
                    case "--clk-tck" -> o.clkTck = Long.parseLong(v);
                    case "--out-dir" -> o.outDir = Path.of(v);
                    case "--commit" -> o.commit = v;
                    case "--model" -> o.model = v;
                    case "--header" -> o.headers.add(v);
                    case "--gateway-ready-path" -> o.gatewayReadyPath = v;
                    case "--ready-timeout" -> o.readyTimeout = Duration.ofSeconds(Long.parseLong(v));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.simUrl == null || o.gatewayUrl == null || o.simPid < 0 || o.gatewayPid < 0) {
                throw new IllegalArgumentException("--sim-url, --sim-pid, --gateway-url and --gateway-pid are required");
            }
            if ((o.relayUrl == null) != (o.relayPid < 0)) {
                throw new IllegalArgumentException("--relay-url and --relay-pid go together");
            }
            if ((o.tlsModel == null) != (o.tlsSimPid < 0)) {
                throw new IllegalArgumentException("--tls-model and --tls-sim-pid go together");
            }
            return o;
        }
    }
}
