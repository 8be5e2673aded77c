package dev.tollgate.bench;

import java.util.List;
import java.util.Optional;

/** Renders a bench run as markdown. */
public final class Report {

    private static final String CPU_HEADER = "proxy CPU µs/req | sim CPU µs/req | load generator CPU µs/req |";

    private Report() {
    }

    public static String markdown(BenchResults r, List<Verdict> verdicts, List<Phase> plan, MachineInfo m) {
        StringBuilder s = new StringBuilder();
        s.append("# Tollgate benchmark\n\n");
        s.append(String.format("%s · commit `%s` · %d CPUs (%s) · %,d MB RAM · %s%n%n",
                m.date(), m.commit(), m.cpus(), m.cpuModel(), m.memoryMb(), m.os()));
        s.append(String.format("- Load generator JVM: Java %s%n", m.benchJava()));
        s.append(String.format("- Gateway JVM: `%s`, TOLLGATE_JAVA_OPTS: `%s`%n", m.gatewayJava(), m.gatewayJavaOpts()));
        s.append(String.format("- CPU idle: %s%n", m.cpuIdle()));
        s.append("- Load generator, gateway and simulator share these CPUs, so the gateway's throughput ceiling "
                + "here is a lower bound.\n");
        if (r.noisy()) {
            s.append(String.format("- **Noisy run:** other processes used more than %.1f cores, or the host took more than "
                    + "%.2f cores of this VM's CPU time (steal), during some legs (see each phase); tails and CPU figures are "
                    + "less trustworthy.%n", BenchResults.NOISY_OTHER_CORES, BenchResults.NOISY_STEAL_CORES));
        }
        if (r.legs().stream().anyMatch(l -> l.target() == Leg.Target.GATEWAY_TLS)) {
            s.append("- \"Gateway, TLS upstream\": the same gateway, its model routed to a second simulator serving HTTPS (a self-signed "
                    + "P-256 certificate in the provider's `ca_bundle`); its sim CPU column is that simulator's. BENCH_TLS=off skips it.\n");
        }
        if (r.legs().stream().anyMatch(l -> l.profile() != null)) {
            s.append("- **Profiled run:** async-profiler sampled each proxy during its measured windows (BENCH_PROFILE=on); "
                    + "its CPU and any delay it caused are in this run's figures.\n");
        }
        s.append('\n');

        s.append("## Targets\n\n");
        s.append("| target | goal | measured | result |\n|---|---|---|---|\n");
        for (Verdict v : verdicts) {
            s.append(String.format("| %s | %s | %s | **%s** |%n", v.name(), v.goal(), v.measured(), v.result()));
        }
        s.append('\n');

        for (Phase phase : plan) {
            s.append("## ").append(phase.title()).append("\n\n");
            s.append(phase.describe()).append(". ");
            s.append(phase.mode() == LoadConfig.Mode.RATE
                    ? "Latencies in µs from each request's intended send time, so queueing behind a slow response counts.\n\n"
                    : "Latencies in µs from each request's actual send.\n\n");
            phaseTable(s, r, phase);
        }

        s.append("## Memory and idle CPU\n\n| process | peak RSS (VmHWM) | idle CPU |\n|---|--:|--:|\n");
        s.append(String.format("| gateway | %s | %.1f ms/s |%n| simulator | %s | |%n%n",
                mb(r.gatewayPeakRssKb()), r.gatewayIdleCpuMsPerSecond(), mb(r.simPeakRssKb())));

        s.append("""
                ## How this was measured

                `conformance-tests/bench/run.sh` starts `bin/provider-sim`, `bin/tollgate serve` and the bare relay \
                (`dev.tollgate.bench.BareRelay`, with the gateway's JVM flags) on free 127.0.0.1 \
                ports and runs `dev.tollgate.bench.BenchRun`. Each phase runs straight at the simulator ("direct"), \
                through the bare relay (not on streams) and through the gateway (model `sim/bench`, same simulator), \
                back to back after an untimed warm-up; "added" is gateway minus direct. "Proxy CPU" is the \
                gateway's, or on the relay's row the relay's. The load generator is a plain-socket HTTP/1.1 keep-alive client (TCP_NODELAY, request \
                bytes built once) recording into HdrHistogram; rate phases are open loop. Its own timer wake-up delay \
                (the send lag shown per phase) is in both legs and cancels in "added". CPU per request is the change of utime+stime in \
                /proc/PID/stat over the measured window divided by the requests in it, so it includes the \
                gateway's idle CPU (shown below), which weighs more at low rates; peak RSS is VmHWM from \
                /proc/PID/status at the end of the run. "Other processes" sums utime+stime of every other \
                process alive at the end of a window (a lower bound: processes that start and end inside it are \
                missed; /proc/stat is not used because in a VM its tick sampling can miss most ticks). "Steal" is the \
                steal column of /proc/stat over the window: CPU time the hypervisor gave to other guests while this \
                VM had work, which stalls the load generator as much as the gateway and no process here can see. \
                Collector pauses come from the proxy's own GC log (`-Xlog:gc`, added by run.sh), counting those that \
                ended inside the window; waits for a CPU are the change of the second field of \
                /proc/PID/task/*/schedstat (time runnable on a run queue) over the window, a lower bound as threads \
                that end inside it are missed. \
                A leg with more than 1% errors does not count toward a target.
                """);
        return s.toString();
    }

    private static void phaseTable(StringBuilder s, BenchResults r, Phase phase) {
        boolean stream = phase.stream();
        s.append(stream
                ? "| leg | requests | errors | req/s | first event p50 | first event p99 | p50 | p99 | p99.9 | max | "
                + CPU_HEADER + "\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
                : "| leg | requests | errors | req/s | p50 | p90 | p99 | p99.9 | max | "
                + CPU_HEADER + "\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Leg.Target target : Leg.Target.values()) {
            Optional<Leg> leg = r.leg(phase.key(), target);
            if (leg.isEmpty()) {
                if (target != Leg.Target.RELAY && target != Leg.Target.GATEWAY_TLS) { // optional
                    s.append("| ").append(target.label()).append(" | not run |\n");
                }
                continue;
            }
            LoadResult l = leg.get().load();
            s.append(String.format("| %s | %,d | %,d | %,.0f | ", target.label(), l.requests(), l.errors(), l.achievedRate()));
            if (stream) {
                s.append(String.format("%s | %s | %s | %s | %s | %s | ", us(l.firstByte().p50()), us(l.firstByte().p99()),
                        us(l.latency().p50()), us(l.latency().p99()), us(l.latency().p999()), us(l.latency().max())));
            } else {
                s.append(String.format("%s | %s | %s | %s | %s | ", us(l.latency().p50()), us(l.latency().p90()),
                        us(l.latency().p99()), us(l.latency().p999()), us(l.latency().max())));
            }
            String jit = Double.isNaN(leg.get().gatewayJitCpuUs()) ? "" : " (JIT " + us(leg.get().gatewayJitCpuUs()) + ")";
            s.append(String.format("%s%s | %s | %s |%n",
                    us(leg.get().gatewayCpuUs()), jit, us(leg.get().simCpuUs()), us(leg.get().generatorCpuUs())));
        }
        Optional<BenchResults.Pair> pair = r.pair(phase.key());
        if (pair.isPresent() && phase.mode() == LoadConfig.Mode.RATE) {
            LatencyStats added = pair.get().addedLatency();
            s.append("| **added by the gateway** | | | | ");
            if (stream) {
                LatencyStats addedFirst = pair.get().addedFirstByte();
                s.append(String.format("%s | %s | %s | %s | %s | %s | | | |%n", signed(addedFirst.p50()), signed(addedFirst.p99()),
                        signed(added.p50()), signed(added.p99()), signed(added.p999()), signed(added.max())));
            } else {
                s.append(String.format("%s | %s | %s | %s | %s | | | |%n", signed(added.p50()), signed(added.p90()),
                        signed(added.p99()), signed(added.p999()), signed(added.max())));
            }
        } else if (pair.isPresent()) {
            double ratio = pair.get().gateway().load().achievedRate() / pair.get().direct().load().achievedRate();
            s.append(String.format("%nThrough the gateway: %.0f%% of the direct throughput.%n", 100 * ratio));
        }
        s.append('\n');
        Optional<Leg> relay = r.leg(phase.key(), Leg.Target.RELAY);
        Optional<Leg> proxied = r.leg(phase.key(), Leg.Target.GATEWAY);
        if (relay.isPresent() && proxied.isPresent()) {
            double floor = relay.get().gatewayCpuUs();
            double own = proxied.get().gatewayCpuUs() - floor;
            s.append(String.format("The bare relay (a Helidon server relaying bytes, the floor under any proxy on this stack "
                    + "and machine) used %s µs of CPU a request; the gateway's own work above it: %s µs.%n%n", us(floor), signed(own)));
        }
        tlsLine(s, phase, proxied, r.leg(phase.key(), Leg.Target.GATEWAY_TLS));
        Optional<Leg> direct = r.leg(phase.key(), Leg.Target.DIRECT);
        Optional<Leg> gateway = r.leg(phase.key(), Leg.Target.GATEWAY);
        if (direct.isPresent() || gateway.isPresent()) {
            s.append(String.format("Other processes on the machine meanwhile: %s cores (direct), %s cores (gateway); "
                            + "CPU time the host took from this VM (steal): %s cores (direct), %s cores (gateway).",
                    direct.map(l -> cores(l.otherCores())).orElse("–"), gateway.map(l -> cores(l.otherCores())).orElse("–"),
                    direct.map(l -> cores(l.stealCores())).orElse("–"), gateway.map(l -> cores(l.stealCores())).orElse("–")));
            if (phase.mode() == LoadConfig.Mode.RATE) {
                s.append(String.format(" Load generator send lag (actual minus intended send time) p50/p99: %s / %s µs (direct), %s / %s µs (gateway).",
                        direct.map(l -> us(l.load().sendLag().p50())).orElse("–"), direct.map(l -> us(l.load().sendLag().p99())).orElse("–"),
                        gateway.map(l -> us(l.load().sendLag().p50())).orElse("–"), gateway.map(l -> us(l.load().sendLag().p99())).orElse("–")));
            }
            s.append("\n\n");
        }
        stallsLines(s, r, phase);
        profileLines(s, r, phase);
        for (Leg.Target target : Leg.Target.values()) {
            r.leg(phase.key(), target).map(Leg::load).filter(l -> l.firstError() != null).ifPresent(l ->
                    s.append(String.format("First error %s: `%s`%n%n", target.label(), l.firstError())));
        }
    }

    /** What TLS to the upstream added over the same gateway with a plain-HTTP upstream. */
    private static void tlsLine(StringBuilder s, Phase phase, Optional<Leg> plain, Optional<Leg> tls) {
        if (plain.isEmpty() || tls.isEmpty()) {
            return;
        }
        double cpu = tls.get().gatewayCpuUs() - plain.get().gatewayCpuUs();
        if (phase.mode() == LoadConfig.Mode.RATE) {
            LatencyStats added = BenchResults.Pair.minus(tls.get().load().latency(), plain.get().load().latency());
            s.append(String.format("TLS from the gateway to the simulator added %s µs at p50, %s µs at p99 and %s µs of gateway CPU "
                    + "a request over the plain-HTTP upstream.%n%n", signed(added.p50()), signed(added.p99()), signed(cpu)));
        } else {
            s.append(String.format("With a TLS upstream: %.0f%% of the plain-HTTP gateway's throughput, %s µs of gateway CPU a request.%n%n",
                    100 * tls.get().load().achievedRate() / plain.get().load().achievedRate(), signed(cpu)));
        }
    }

    /** A pause or a wait for a CPU stalls every request in flight: these lines tell whether a tail was the code's. */
    private static void stallsLines(StringBuilder s, BenchResults r, Phase phase) {
        StringBuilder gc = new StringBuilder();
        StringBuilder proxyWait = new StringBuilder();
        StringBuilder generatorWait = new StringBuilder();
        for (Leg.Target target : Leg.Target.values()) {
            Optional<Stalls> stalls = r.leg(phase.key(), target).map(Leg::stalls);
            stalls.map(Stalls::proxyGc).ifPresent(p -> gc.append(gc.isEmpty() ? "" : "; ")
                    .append(String.format("%s %d (%.1f ms in all, longest %.1f ms)", target.label(), p.count(), p.totalMs(), p.maxMs())));
            stalls.filter(st -> !Double.isNaN(st.proxyRunQueueMs())).ifPresent(st -> proxyWait.append(proxyWait.isEmpty() ? "" : ", ")
                    .append(String.format("%s %,.1f ms", target.label(), st.proxyRunQueueMs())));
            stalls.filter(st -> !Double.isNaN(st.generatorRunQueueMs())).ifPresent(st -> generatorWait.append(generatorWait.isEmpty() ? "" : ", ")
                    .append(String.format("%s %,.1f ms", target.label(), st.generatorRunQueueMs())));
        }
        if (!gc.isEmpty()) {
            s.append("Collector pauses in the proxy during the measured window: ").append(gc).append(".\n\n");
        }
        if (!proxyWait.isEmpty() || !generatorWait.isEmpty()) {
            s.append("Time runnable threads waited for a CPU during the measured window (summed over threads): the proxy's ")
                    .append(proxyWait.isEmpty() ? "–" : proxyWait).append("; the load generator's ")
                    .append(generatorWait.isEmpty() ? "–" : generatorWait).append(".\n\n");
        }
    }

    /** Where each profiled proxy's CPU went: the kernel's share and its scheduler's, by thread, by frame. */
    private static void profileLines(StringBuilder s, BenchResults r, Phase phase) {
        for (Leg.Target target : Leg.Target.values()) {
            Optional<CpuProfile> profile = r.leg(phase.key(), target).map(Leg::profile);
            if (profile.isEmpty()) {
                continue;
            }
            CpuProfile p = profile.get();
            s.append(String.format("Where the %s's CPU went (%,d samples, one per ms of CPU; stacks in `profiles/%s`): %s in the kernel, "
                            + "%s switching threads or waking one, %s on stacks through Tollgate's code; by thread: %s; top frames: %s.%n%n",
                    target.label(), p.samples(), java.nio.file.Path.of(p.file()).getFileName(), percent(p.kernelShare()),
                    percent(p.schedulerShare()), percent(p.tollgateShare()), shares(p.threads()), shares(p.topFrames())));
        }
    }

    private static String shares(List<CpuProfile.Share> shares) {
        return String.join(", ", shares.stream().map(x -> "`" + x.name() + "` " + percent(x.share())).toList());
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "–" : String.format("%.0f%%", 100 * share);
    }

    private static String us(double v) {
        return Double.isNaN(v) ? "–" : String.format("%,.0f", v);
    }

    private static String cores(double v) {
        return Double.isNaN(v) ? "–" : String.format("%.2f", v);
    }

    private static String signed(double v) {
        return String.format("%+,.0f", v);
    }

    private static String mb(long kb) {
        return kb < 0 ? "unknown" : String.format("%,.0f MB", kb / 1024.0);
    }
}
