package dev.tollgate.conformance;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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

    /** The task every tool round trip gives the agent: the simulator asks for this command, then quotes its output. */
    static final String TOOL_PROMPT = "Run the shell command `echo tollgate-tool-ok` and tell me what it printed.";

    private Cli() {
    }

    static Path codex() {
        return npmBin("codex", "TOLLGATE_CODEX_BIN");
    }

    static Path claude() {
        return npmBin("claude", "TOLLGATE_CLAUDE_BIN");
    }

    static Path gemini() {
        return npmBin("gemini", "TOLLGATE_GEMINI_BIN");
    }

    /** A fresh HOME for one run, under the stack's work directory so it stays next to the logs. */
    static Path home(Stack stack, String cli) throws Exception {
        return Files.createTempDirectory(stack.workDir, cli + "-home-");
    }

    /** {@code codex exec} in a fresh home with its own CODEX_HOME, no plugins, apps or analytics; config is its -c options. */
    static Result codexExec(Stack stack, String model, List<String> config, Map<String, String> env, String prompt) throws Exception {
        return codexExec(home(stack, "codex"), model, config, env, prompt);
    }

    /** {@code codex exec} with this fresh home, for tests that run their own gateway. */
    static Result codexExec(Path home, String model, List<String> config, Map<String, String> env, String prompt) throws Exception {
        Path codexHome = Files.createDirectories(home.resolve(".codex"));
        List<String> command = new ArrayList<>(List.of(codex().toString(), "exec", "--skip-git-repo-check", "--ephemeral", "-m", model));
        command.addAll(config);
        command.addAll(List.of("-c", "analytics.enabled=false", "--disable", "plugins", "--disable", "apps", prompt));
        Map<String, String> allEnv = new HashMap<>(env);
        allEnv.put("CODEX_HOME", codexHome.toString());
        return run(command, allEnv, home);
    }

    /**
     * Codex's -c options that make the gateway's /v1 its provider "gw" (Responses, no websocket), keyed
     * from GW_API_KEY; {@code moreFields} is appended inside the provider table (",request_max_retries=0").
     */
    static List<String> codexViaGateway(Stack stack, String moreFields) {
        return List.of("-c", "model_provider=\"gw\"",
                "-c", "model_providers.gw={name=\"gw\",base_url=\"" + stack.gateway("/v1")
                        + "\",env_key=\"GW_API_KEY\",wire_api=\"responses\",supports_websockets=false" + moreFields + "}");
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
