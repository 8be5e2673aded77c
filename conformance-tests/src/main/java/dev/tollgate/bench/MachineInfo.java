package dev.tollgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Where and how the bench ran, for the report's header. */
public record MachineInfo(
        String date,
        int cpus,
        String cpuModel,
        long memoryMb,
        String os,
        String benchJava,
        String gatewayJava,
        String gatewayJavaOpts,
        String commit,
        String cpuIdle) {

    static MachineInfo collect(long gatewayPid, String commit) {
        String javaOpts = System.getenv("TOLLGATE_JAVA_OPTS");
        return new MachineInfo(
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", ""),
                Runtime.getRuntime().availableProcessors(),
                readCpuModel(),
                readMemoryMb(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
                ProcStats.command(gatewayPid).orElse("unknown"),
                javaOpts == null || javaOpts.isBlank() ? "(not set)" : javaOpts,
                commit == null || commit.isBlank() ? "unknown" : commit,
                readCpuIdle());
    }

    /**
     * How an idle CPU waits, which sets what a wake-up costs: in a VM whose guest does not poll before
     * halting, waking an idle vCPU goes through the host's scheduler (the bench's requests wake threads
     * all the time). "unknown" where /sys does not say.
     */
    private static String readCpuIdle() {
        String driver = readLine(Path.of("/sys/devices/system/cpu/cpuidle/current_driver"));
        if (driver == null) {
            return "unknown";
        }
        String pollNs = readLine(Path.of("/sys/module/haltpoll/parameters/guest_halt_poll_ns"));
        return "driver " + driver + (pollNs == null ? "" : ", guest halt polling " + pollNs + " ns");
    }

    private static String readLine(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static String readCpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static long readMemoryMb() {
        try {
            return ProcStats.parseStatusKb(Files.readString(Path.of("/proc/meminfo")), "MemTotal") / 1024;
        } catch (IOException e) {
            return -1;
        }
    }
}
