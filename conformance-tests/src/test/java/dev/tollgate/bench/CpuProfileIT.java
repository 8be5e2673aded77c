package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuProfileIT {

    @Test
    void sharesComeFromTheSampleCountsOfCollapsedStacks() {
        List<String> collapsed = List.of(
                // a carrier parking: a switch, in the kernel
                "[ForkJoinPool-1-worker-1 tid=11];java/lang/VirtualThread.park;syscall_[k];__schedule_[k];finish_task_switch.isra.0_[k] 30",
                // a socket write that wakes the reader: a wake-up, in the kernel
                "[ForkJoinPool-1-worker-2 tid=12];Http1Connection.handle;__GI_write;try_to_wake_up_[k];_raw_spin_unlock_irqrestore_[k] 20",
                // the gateway's own code
                "[ForkJoinPool-1-worker-1 tid=11];dev/tollgate/server/proxy/Pipeline.run;java/util/HashMap.getNode 40",
                // a send in the kernel that neither switches nor wakes
                "[Read-Poller tid=20];epoll_wait;do_syscall_64_[k] 10",
                // too rare to list
                "[VM Thread tid=3];VMThread::run 0",
                // the bare relay is the bench's code, not the gateway's
                "[ForkJoinPool-1-worker-1 tid=11];dev/tollgate/bench/BareRelay.relay;java/lang/String.<init> 0",
                "");
        CpuProfile p = CpuProfile.parse(collapsed, "profiles/rate-gateway.collapsed");
        assertEquals(100, p.samples());
        assertEquals(0.60, p.kernelShare(), 1e-9);
        assertEquals(0.50, p.schedulerShare(), 1e-9);
        assertEquals(0.40, p.tollgateShare(), 1e-9);
        assertEquals(new CpuProfile.Share("ForkJoinPool-#-worker-#", 0.90), p.threads().get(0));
        assertEquals(new CpuProfile.Share("Read-Poller", 0.10), p.threads().get(1));
        assertEquals(new CpuProfile.Share("java/util/HashMap.getNode", 0.40), p.topFrames().get(0));
        assertEquals(new CpuProfile.Share("finish_task_switch.isra.0_[k]", 0.30), p.topFrames().get(1));
        assertEquals(2, p.threads().size(), p.toString());
    }

    @Test
    void aNativeLibraryFrameIsNamedByItsFileWithoutTheRandomPartOfItsUnpackedName() {
        assertEquals("sqlite-3.53.4.0-libsqlitejdbc.so",
                CpuProfile.frameName("/tmp/sqlite-3.53.4.0-253cc212-a10c-4062-b6e0-1f2602237fe9-libsqlitejdbc.so"));
        assertEquals("java/util/HashMap.getNode", CpuProfile.frameName("java/util/HashMap.getNode"));
    }

    @Test
    void nothingSampledIsZeroSamplesAndUnknownShares() {
        CpuProfile p = CpuProfile.parse(List.of(), "empty.collapsed");
        assertEquals(0, p.samples());
        assertTrue(Double.isNaN(p.kernelShare()) && p.threads().isEmpty(), p.toString());
    }

    /** The real chain: async-profiler from the build, loaded into another JVM through the Attach API for one window. */
    @Test
    void profilesABusyJvmForOneWindow(@TempDir Path dir) throws Exception {
        Path library = unpackProfiler(dir);
        Path busy = dir.resolve("Busy.java");
        Files.writeString(busy, """
                public class Busy {
                    public static void main(String[] args) throws Exception {
                        long x = 0;
                        System.out.println("ready");
                        while (true) {
                            for (int i = 0; i < 10_000_000; i++) {
                                x += i * 31L ^ (x >>> 3);
                            }
                            if (x == 42) {
                                System.out.println(x);
                            }
                        }
                    }
                }
                """);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // Its warnings (a dynamically loaded agent) go to stderr, which is dropped: stdout says when it runs.
        Process child = new ProcessBuilder(java.toString(), "-Xmx64m", busy.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            // "ready" is printed once the program runs, so the window below samples its loop.
            assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream())).readLine());
            Profiler.Session session = new Profiler(library, dir.resolve("profiles")).session(child.pid(), "busy");
            session.opened();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // the window is open while the child spins on another core
            }
            session.closed();
            CpuProfile p = session.profile();
            assertTrue(p.samples() >= 50, p.toString()); // ~700 at one sample per ms of CPU
            assertEquals("main", p.threads().get(0).name(), p.toString());
            assertTrue(Files.size(dir.resolve("profiles/busy.collapsed")) > 0);
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Path unpackProfiler(Path dir) throws IOException {
        String arch = System.getProperty("os.arch").equals("aarch64") ? "linux-arm64" : "linux-x64";
        Path jar = Path.of("target/profiler/async-profiler.jar");
        assertTrue(Files.exists(jar), "the build copies async-profiler to " + jar.toAbsolutePath());
        Path library = dir.resolve("libasyncProfiler.so");
        try (ZipFile zip = new ZipFile(jar.toFile()); InputStream in = zip.getInputStream(zip.getEntry(arch + "/libasyncProfiler.so"))) {
            Files.copy(in, library);
        }
        return library;
    }
}
