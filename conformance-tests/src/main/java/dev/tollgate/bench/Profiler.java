package dev.tollgate.bench;

import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Samples a proxy's CPU with async-profiler for exactly one measured window ({@code BENCH_PROFILE=on}):
 * the library is loaded into the proxy's JVM through the Attach API when the window opens, and told to
 * stop and write collapsed stacks when it closes. Attaching from here rather than with {@code jcmd}
 * keeps a second JVM's start-up out of the window. Sampling costs the proxy CPU, so a profiled run's
 * figures are marked as such.
 */
final class Profiler {

    /** CPU-clock samples every millisecond of CPU, per thread, with kernel frames. */
    private static final String START = "start,event=cpu,interval=1ms,threads";

    private final Path library;
    private final Path outDir;

    Profiler(Path library, Path outDir) {
        this.library = library.toAbsolutePath();
        this.outDir = outDir;
    }

    /** A window that profiles {@code pid} while it is open and leaves the result in {@link Session#profile()}. */
    Session session(long pid, String name) {
        return new Session(pid, outDir.resolve(name + ".collapsed"));
    }

    final class Session implements LoadGen.Window {

        private final long pid;
        private final Path file;
        private CpuProfile profile;

        private Session(long pid, Path file) {
            this.pid = pid;
            this.file = file;
        }

        @Override
        public void opened() {
            command(START);
        }

        @Override
        public void closed() {
            try {
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw new BenchFailure("cannot create " + file.getParent() + " for the profile: " + e.getMessage());
            }
            command("stop,file=" + file.toAbsolutePath() + ",collapsed");
            profile = CpuProfile.read(file);
        }

        /** Null until the window closed. */
        CpuProfile profile() {
            return profile;
        }

        private void command(String options) {
            try {
                VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
                try {
                    vm.loadAgentPath(library.toString(), options);
                } finally {
                    vm.detach();
                }
            } catch (AgentLoadException e) {
                throw new BenchFailure("async-profiler refused '" + options + "' in pid " + pid + ": " + e.getMessage());
            } catch (IOException | com.sun.tools.attach.AttachNotSupportedException | com.sun.tools.attach.AgentInitializationException e) {
                throw new BenchFailure("cannot profile pid " + pid + " with " + library + ": " + e.getMessage());
            }
        }
    }
}
