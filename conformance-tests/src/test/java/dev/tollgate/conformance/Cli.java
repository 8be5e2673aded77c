package dev.tollgate.conformance;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real agent CLI headless: fresh HOME and TMPDIR, stdin from /dev/null, bounded in time. */
final class Cli {

    record Result(int exit, String stdout, String stderr, long millis) {
        String all() {
            return "exit " + exit + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    private Cli() {
    }

    /** The pinned npm install under .tools/npm; `make test` installs it first. */
    static Path npmBin(String name, String envOverride) {
        String override = System.getenv(envOverride);
        Path bin = override != null ? Path.of(override) : Stack.HOME.resolve(".tools/npm/node_modules/.bin/" + name);
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException(name + " is not installed at " + bin + ": run `make clients` (make test does it)");
        }
        return bin;
    }

    static Result run(List<String> command, Map<String, String> env, Path home) throws Exception {
        Path tmp = Files.createDirectories(home.resolve("tmp"));
        Path out = home.resolve("stdout.txt");
        Path err = home.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("ANTHROPIC_") || k.startsWith("CODEX_")
                || k.startsWith("GEMINI_"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command.getFirst() + " did not finish in 120 s:\n" + Files.readString(out) + Files.readString(err));
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), millis);
    }
}
