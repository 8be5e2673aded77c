package dev.tollgate.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a proxy's CPU went to during one measured window, summed from async-profiler's collapsed stacks
 * (one line per distinct stack: the thread's name in brackets, frames joined by {@code ;}, a space, the
 * samples; kernel frames end in {@code _[k]}). The figure that matters on a small VM is how much of the
 * CPU a request costs is the kernel switching threads or waking one: that is the price of every socket
 * wait, the bare relay pays it too, and no code above it can make it smaller except by waiting less often.
 *
 * @param samples        CPU samples in the window
 * @param kernelShare    share of samples in kernel code
 * @param schedulerShare share of samples switching threads or waking one (any stack through the
 *                       scheduler's switch or wake-up paths)
 * @param tollgateShare  share of samples on a stack through Tollgate's own code, the bench's excepted (the
 *                       rest is the server, the JDK, the JIT, the collector and the kernel around it)
 * @param threads        share by kind of thread (names with their numbers folded), largest first
 * @param topFrames      the frames where samples landed (self time), largest first
 * @param file           where the collapsed stacks were kept (for a flame graph)
 */
public record CpuProfile(long samples, double kernelShare, double schedulerShare, double tollgateShare, List<Share> threads,
                         List<Share> topFrames, String file) {

    private static final int TOP = 6;
    /** Shares below this are left out of the lists. */
    private static final double SHOWN = 0.005;
    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern TID = Pattern.compile(" tid=\\d+");
    /** A native library unpacked under a random name, e.g. {@code /tmp/sqlite-3.53.4.0-<uuid>-libsqlitejdbc.so}. */
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-");
    private static final List<String> SCHEDULER_FRAMES = List.of("__schedule_", "finish_task_switch", "try_to_wake_up_");

    public record Share(String name, double share) {
    }

    /** Reads a collapsed-stacks file; an empty file (nothing sampled) gives zero samples. */
    static CpuProfile read(Path collapsed) {
        try {
            return parse(Files.readAllLines(collapsed), collapsed.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the profile " + collapsed, e);
        }
    }

    static CpuProfile parse(List<String> lines, String file) {
        long total = 0;
        long kernel = 0;
        long scheduler = 0;
        long tollgate = 0;
        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> byFrame = new HashMap<>();
        for (String line : lines) {
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                continue;
            }
            long n = Long.parseLong(line.substring(space + 1).strip());
            String[] frames = line.substring(0, space).split(";");
            String leaf = frames[frames.length - 1];
            total += n;
            if (leaf.endsWith("_[k]")) {
                kernel += n;
            }
            if (throughScheduler(frames)) {
                scheduler += n;
            }
            if (throughTollgate(frames)) {
                tollgate += n;
            }
            byThread.merge(threadKind(frames[0]), n, Long::sum);
            byFrame.merge(frameName(leaf), n, Long::sum);
        }
        return new CpuProfile(total, share(kernel, total), share(scheduler, total), share(tollgate, total), top(byThread, total), top(byFrame, total), file);
    }

    /** {@code [ForkJoinPool-1-worker-2 tid=123]} -> {@code ForkJoinPool-#-worker-#}; a stack without a thread frame: "?". */
    static String threadKind(String first) {
        if (!first.startsWith("[") || !first.endsWith("]")) {
            return "?";
        }
        String name = TID.matcher(first.substring(1, first.length() - 1)).replaceAll("");
        return DIGITS.matcher(name).replaceAll("#");
    }

    /** A frame in a shared library is named by its file, without the random part some loaders add. */
    static String frameName(String frame) {
        if (!frame.startsWith("/")) {
            return frame;
        }
        return UUID.matcher(frame.substring(frame.lastIndexOf('/') + 1)).replaceAll("");
    }

    /** The bare relay lives in the bench's package: its frames are not the gateway's code. */
    private static boolean throughTollgate(String[] frames) {
        for (String f : frames) {
            if (f.startsWith("dev/tollgate/") && !f.startsWith("dev/tollgate/bench/")) {
                return true;
            }
        }
        return false;
    }

    private static boolean throughScheduler(String[] frames) {
        for (String f : frames) {
            if (f.endsWith("_[k]")) {
                for (String s : SCHEDULER_FRAMES) {
                    if (f.startsWith(s)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static List<Share> top(Map<String, Long> counts, long total) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .limit(TOP)
                .map(e -> new Share(e.getKey(), share(e.getValue(), total)))
                .filter(x -> x.share() >= SHOWN)
                .toList();
    }

    private static double share(long n, long total) {
        return total == 0 ? Double.NaN : (double) n / total;
    }
}
