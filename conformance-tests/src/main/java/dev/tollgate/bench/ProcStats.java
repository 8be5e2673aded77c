package dev.tollgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Reads a process's CPU time and memory from Linux's /proc. */
final class ProcStats {

    private ProcStats() {
    }

    /** utime + stime of the whole process (all threads), in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        return parseCpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /**
     * utime + stime of every process alive now, by PID. Processes that vanish while being read are
     * skipped. (The machine-wide /proc/stat is no substitute: it is sampled on timer ticks, and in a
     * VM it can miss most of them; per-process times come from the scheduler's exact run time.)
     */
    static Map<Long, Long> allCpuTicks() {
        Map<Long, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : dirs) {
                try {
                    ticks.put(Long.parseLong(dir.getFileName().toString()), parseCpuTicks(Files.readString(dir.resolve("stat"))));
                } catch (IOException | RuntimeException e) {
                    // exited meanwhile, or not a process directory
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    /**
     * Time the hypervisor ran something else while this VM's CPUs wanted to run ("steal", the eighth
     * column of /proc/stat's cpu line), in clock ticks; 0 on bare metal or when the host does not tell.
     */
    static long stealTicks() {
        try {
            return parseStealTicks(Files.readAllLines(Path.of("/proc/stat")).getFirst());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The steal column of /proc/stat's first line ({@code cpu user nice system idle iowait irq softirq steal ...}). */
    static long parseStealTicks(String cpuLine) {
        String[] f = cpuLine.trim().split("\\s+");
        if (!f[0].equals("cpu")) {
            throw new IllegalArgumentException("not /proc/stat's cpu line: " + cpuLine);
        }
        return f.length > 8 ? Long.parseLong(f[8]) : 0;
    }

    /**
     * utime + stime of a JVM's JIT compiler threads ("C1 CompilerThre", "C2 CompilerThre"), in clock
     * ticks: how much of a measured window went into compiling rather than serving.
     */
    static long jitTicks(long pid) {
        return perThread(pid, task -> Files.readString(task.resolve("comm")).contains("CompilerThre")
                ? parseCpuTicks(Files.readString(task.resolve("stat"))) : 0)
                .values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Nanoseconds each thread of a process alive now spent runnable but waiting for a CPU (the second
     * field of /proc/PID/task/TID/schedstat), by thread id: time the scheduler, not the code, held
     * requests up.
     */
    static Map<Long, Long> runQueueWaitNanos(long pid) {
        return perThread(pid, task -> parseRunQueueWaitNanos(Files.readString(task.resolve("schedstat"))));
    }

    private interface TaskReader {
        long read(Path taskDir) throws IOException;
    }

    /** One figure per thread of a process, by thread id; threads that end while being read are skipped. */
    private static Map<Long, Long> perThread(long pid, TaskReader reader) {
        Map<Long, Long> byThread = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    byThread.put(Long.parseLong(task.getFileName().toString()), reader.read(task));
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return byThread;
    }

    /**
     * What the counters in {@code after} gained since {@code before}, summed: an id new in {@code after}
     * counts whole (it started in between), one gone from it is not seen (a lower bound).
     */
    static long grown(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            sum += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return sum;
    }

    /** {@code schedstat} holds: time on a CPU, time waiting on a run queue (both ns), time slices run. */
    static long parseRunQueueWaitNanos(String schedstat) {
        return Long.parseLong(schedstat.trim().split("\\s+")[1]);
    }

    /** A field of /proc/PID/status in kB, e.g. {@code VmHWM} (peak resident set size); -1 if absent. */
    static long statusKb(long pid, String key) throws IOException {
        return parseStatusKb(Files.readString(Path.of("/proc", Long.toString(pid), "status")), key);
    }

    static long parseCpuTicks(String stat) {
        // Fields 14 and 15 (utime, stime). The command name, field 2, is in parentheses and may hold
        // spaces or parentheses itself, so count fields from the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    static long parseStatusKb(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key + ":")) {
                String value = line.substring(key.length() + 1).trim();
                return Long.parseLong(value.split("\\s+")[0]);
            }
        }
        return -1;
    }

    /**
     * The JVM behind a started command: the process itself when it is java (a launcher script that
     * ends in {@code exec java}), else its first java descendant.
     */
    static long javaPid(long pid) {
        ProcessHandle root = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
        if (isJava(root)) {
            return pid;
        }
        return root.descendants().filter(ProcStats::isJava).findFirst().map(ProcessHandle::pid).orElse(pid);
    }

    static Optional<String> command(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().command());
    }

    private static boolean isJava(ProcessHandle p) {
        return p.info().command().map(c -> c.endsWith("/java") || c.equals("java")).orElse(false);
    }
}
