package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code tollgate launch} (bin/tollgate, a real process) starting each real pinned agent CLI headless against
 * the gateway and simulator: a tool round trip passes, the key comes from the personal key file, the
 * session header reaches the gateway, and the user's HOME (with its own agent settings in place) is the
 * same file for file afterwards.
 */
class LaunchIT {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static final String POLICY = """
            providers:
              - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
              - {id: sim-anthropic, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
            models:
              - {name: gpt-5.5, targets: [{provider: sim, model: gpt-5.5}]}
              - {name: gpt-4o, targets: [{provider: sim, model: gpt-4o}]}
              - {name: anthropic/claude-sonnet-4-5, targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]}
            customers: [{id: acme}]
            teams:
              - {id: infra, customer: acme, deny_models: ["gpt-4*"]}
            keys:
              - {id: dev, team: infra, sha256: %s}
            """.formatted(KeyHash.sha256("tg-launch-dev"));

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("launch", POLICY).clearingSim(StackExtension.REQUESTS);

    /**
     * Where the test HOMEs go. Gemini CLI refuses a settings file below any directory others can write
     * to (a checkout under /tmp, say), as it would for a real user: the build directory when none of its
     * parents is such, else a folder in the build user's cache (removed after the class).
     */
    private static final List<Path> HOMES = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The test HOMEs outside the build directory do not outlive the class. */
    @org.junit.jupiter.api.AfterAll
    static void removeHomesOutsideTheBuild() throws Exception {
        Path build = Stack.HOME.resolve("conformance-tests/target").toAbsolutePath();
        for (Path home : HOMES) {
            if (!home.startsWith(build) && Files.exists(home)) {
                try (Stream<Path> all = Files.walk(home)) {
                    for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        p.toFile().setWritable(true);
                        if (!p.toFile().delete()) {
                            System.err.println("could not remove " + p);
                        }
                    }
                }
            }
        }
    }

    private static Path secureBase() throws Exception {
        Path build = Stack.HOME.resolve("conformance-tests/target/launch-homes").toAbsolutePath();
        if (!belowOthersWritable(build)) {
            return build;
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "tollgate-launch-tests").toAbsolutePath();
        if (belowOthersWritable(cache)) {
            throw new IllegalStateException("no folder for test HOMEs that Gemini CLI accepts: " + build + " and " + cache
                    + " both lie below a directory others can write to");
        }
        return cache;
    }

    private static boolean belowOthersWritable(Path dir) throws Exception {
        for (Path p = dir.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                        || perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A user's HOME as it may be: each agent's own global settings, and the personal key file (0600). */
    private static Path userHome() throws Exception {
        Path home = Files.createTempDirectory(Files.createDirectories(secureBase()), "home-");
        HOMES.add(home);
        Files.writeString(Files.createDirectories(home.resolve(".codex")).resolve("config.toml"), "model = \"o3\"\n");
        Files.writeString(Files.createDirectories(home.resolve(".gemini")).resolve("settings.json"), "{\"ui\":{\"theme\":\"Default\"}}\n");
        Files.writeString(Files.createDirectories(home.resolve(".claude")).resolve("settings.json"), "{\"cleanupPeriodDays\":30}\n");
        Path key = Files.createDirectories(home.resolve(".config/tollgate")).resolve("key");
        Files.writeString(key, "tg-launch-dev\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return home;
    }

    /** Every file and directory under HOME with its content's hash. */
    private static Map<String, String> snapshot(Path home) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(home)) {
            for (Path p : all.toList()) {
                String hash = Files.isDirectory(p) ? "dir" : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
                files.put(home.relativize(p).toString(), hash);
            }
        }
        return files;
    }

    /**
     * HOME afterwards: every file the user had is byte for byte the same (their agent settings, the key
     * file), and whatever is new lies in the agent's own state (sessions, history, caches), which it
     * writes the same way without the launcher.
     */
    private static void assertHomeKept(Map<String, String> before, Path home, List<String> agentState) throws Exception {
        Map<String, String> after = snapshot(home);
        before.forEach((path, hash) -> assertEquals(hash, after.get(path), "HOME/" + path + " is as it was"));
        for (String path : after.keySet()) {
            assertTrue(before.containsKey(path) || agentState.stream().anyMatch(path::startsWith),
                    "HOME/" + path + " is new and not the agent's own state: " + after.keySet());
        }
    }

    private static Cli.Result launch(Path home, List<String> args) throws Exception {
        Path tmp = Files.createTempDirectory(stack.get().workDir, "launch-tmp-");
        List<String> command = new ArrayList<>(List.of(Stack.HOME.resolve("bin/tollgate").toString(), "launch", "--gateway", stack.get().gateway("")));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(tmp.resolve("stdout.txt").toFile()).redirectError(tmp.resolve("stderr.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("ANTHROPIC_") || k.startsWith("CODEX_")
                || k.startsWith("GEMINI_") || k.startsWith("TOLLGATE_") || k.startsWith("OPENCODE"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().put("TOLLGATE_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        // The agents are found on PATH, as for a user.
        String path = Stream.of(Cli.codex(), Cli.claude(), Cli.gemini()).map(p -> p.getParent().toString()).distinct()
                .reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
        pb.environment().put("PATH", path + File.pathSeparator + System.getenv("PATH"));
        openCode().ifPresent(p -> pb.environment().put("TOLLGATE_OPENCODE_BIN", p.toString()));
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tollgate launch did not finish in 180 s: " + Files.readString(tmp.resolve("stderr.txt")));
        }
        return new Cli.Result(p.exitValue(), Files.readString(tmp.resolve("stdout.txt")), Files.readString(tmp.resolve("stderr.txt")), 0);
    }

    static java.util.Optional<Path> openCode() {
        String override = System.getenv("TOLLGATE_OPENCODE_BIN");
        Path bin = override != null ? Path.of(override) : Stack.HOME.resolve(".tools/npm/node_modules/.bin/opencode");
        return Files.isExecutable(bin) ? java.util.Optional.of(bin) : java.util.Optional.empty();
    }

    private static String toolOutputSeenUpstream() throws Exception {
        return SimRequests.all(stack.get());
    }

    private static void assertRoundTrip(Cli.Result result, String upstreamPath, String model) throws Exception {
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the agent's answer quotes the tool output: " + result.all());
        // opencode also asks for a conversation title, without tools: not part of the round trip.
        List<JsonNode> calls = SimRequests.to(stack.get(), upstreamPath).stream()
                .filter(c -> !c.path("body").toString().contains("You are a title generator")).toList();
        assertEquals(2, calls.size(), "one turn asking for the tool, one with its output: " + toolOutputSeenUpstream());
        assertEquals(model, calls.get(0).path("body").path("model").asText());
        assertTrue(calls.get(1).path("body").toString().contains("tollgate-tool-ok"), "the agent really ran the command: " + calls.get(1));
    }

    @Test
    void codexDoesAToolRoundTripAndLeavesHomeAlone() throws Exception {
        Path home = userHome();
        Map<String, String> before = snapshot(home);
        Cli.Result result = launch(home, List.of("codex", "-m", "gpt-5.5", "--", "exec", "--skip-git-repo-check", "--ephemeral", Cli.TOOL_PROMPT));
        assertRoundTrip(result, "/v1/responses", "gpt-5.5");
        assertHomeKept(before, home, List.of(".codex/", ".config/tollgate/launch"));
    }

    /**
     * A model Codex does not know (Claude, through the gateway): the launcher gives Codex a catalog built
     * from its own, with the gateway's facts for the model, so Codex prints no fallback-metadata warning
     * and uses them: it asks for reasoning (the bundled table says Claude Sonnet 4.5 reasons), which
     * reaches Claude as extended thinking; without the catalog Codex sends no reasoning at all.
     */
    @Test
    void codexGetsTheGatewaysModelMetadataForAModelItDoesNotKnow() throws Exception {
        Path home = userHome();
        Map<String, String> before = snapshot(home);
        Cli.Result result = launch(home, List.of("codex", "-m", "anthropic/claude-sonnet-4-5", "--", "exec", "--skip-git-repo-check", "--ephemeral",
                Cli.TOOL_PROMPT));
        assertRoundTrip(result, "/v1/messages", "claude-sonnet-4-5");
        assertFalse(result.all().contains("Model metadata"), "no fallback-metadata warning: " + result.all());
        JsonNode first = SimRequests.to(stack.get(), "/v1/messages").getFirst().path("body");
        assertEquals("enabled", first.path("thinking").path("type").asText(), "Codex asked for reasoning: " + first.path("thinking"));
        JsonNode catalog = JSON.readTree(home.resolve(".config/tollgate/launch/codex-models.json").toFile());
        JsonNode entry = null;
        for (JsonNode m : catalog.path("models")) {
            if (m.path("slug").asText().equals("anthropic/claude-sonnet-4-5")) {
                entry = m;
            }
        }
        assertTrue(entry != null, "the catalog has the gateway's model");
        assertEquals(200000, entry.path("context_window").asLong(), "the bundled table's context window: " + entry.path("context_window"));
        assertTrue(catalog.path("models").size() > 1, "Codex's own models are kept");
        assertHomeKept(before, home, List.of(".codex/", ".config/tollgate/launch"));
    }

    @Test
    void claudeCodeDoesAToolRoundTripAndLeavesHomeAlone() throws Exception {
        Path home = userHome();
        Map<String, String> before = snapshot(home);
        Cli.Result result = launch(home, List.of("claude", "-m", "anthropic/claude-sonnet-4-5", "--", "-p", "--allowedTools=Bash", Cli.TOOL_PROMPT));
        assertRoundTrip(result, "/v1/messages", "claude-sonnet-4-5");
        assertHomeKept(before, home, List.of(".claude/", ".claude.json"));
    }

    @Test
    void geminiCliDoesAToolRoundTripAndLeavesHomeAlone() throws Exception {
        Path home = userHome();
        Map<String, String> before = snapshot(home);
        Cli.Result result = launch(home, List.of("gemini", "-m", "anthropic/claude-sonnet-4-5", "--", "--skip-trust", "--yolo", "-p", Cli.TOOL_PROMPT));
        assertRoundTrip(result, "/v1/messages", "claude-sonnet-4-5");
        assertHomeKept(before, home, List.of(".gemini/", ".config/tollgate/launch"));
    }

    @Test
    void openCodeDoesAToolRoundTripAndLeavesHomeAlone() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(openCode().isPresent(), "opencode not installed (make clients)");
        Path home = userHome();
        Map<String, String> before = snapshot(home);
        Cli.Result result = launch(home, List.of("opencode", "-m", "gpt-5.5", "--", "run", Cli.TOOL_PROMPT));
        assertRoundTrip(result, "/v1/chat/completions", "gpt-5.5");
        assertTrue(SimRequests.all(stack.get()).contains("\"name\":\"bash\""),
                "opencode's own bash tool was offered upstream");
        assertHomeKept(before, home, List.of(".local", ".cache", ".config/opencode", ".npm") /* its plugin packages */);
    }

    /**
     * A stand-in for an agent, to watch the launcher itself: it prints the arguments it got, says it is
     * ready, and on SIGTERM says so and exits 42 (else 7 after 30 s). It has no model catalog to give.
     */
    private static Path standInAgent(Path home) throws Exception {
        Path bin = home.resolve("stand-in-codex");
        Files.writeString(bin, """
                #!/bin/sh
                if [ "$1" = debug ]; then exit 1; fi
                trap 'echo got-term; exit 42' TERM
                echo "args: $*"
                echo ready
                i=0
                while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
                exit 7
                """);
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwx------"));
        return bin;
    }

    private static ProcessBuilder launcher(Path home, Path agent, List<String> command) throws Exception {
        Path tmp = Files.createTempDirectory(stack.get().workDir, "launch-tmp-");
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("CODEX_") || k.startsWith("TOLLGATE_"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().put("TOLLGATE_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        pb.environment().put("TOLLGATE_CODEX_BIN", agent.toString());
        pb.environment().put("TERM", "dumb");
        return pb;
    }

    /** Collects a process's output as it comes; waits for a text with a deadline. */
    private record Output(Process process, StringBuffer text) {
        static Output of(Process p) {
            StringBuffer text = new StringBuffer();
            Thread.ofVirtual().start(() -> {
                try (java.io.InputStream in = p.getInputStream()) {
                    byte[] buf = new byte[4096];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        text.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                    }
                } catch (java.io.IOException e) {
                    // the process ended
                }
            });
            return new Output(p, text);
        }

        void await(String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (text.indexOf(what) < 0) {
                assertTrue(System.nanoTime() < deadline && process.isAlive() || text.indexOf(what) >= 0,
                        "never printed '" + what + "':\n" + text);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void atATerminalWithoutMinusMItOffersTheKeysModelsToPickFrom() throws Exception {
        Path home = userHome();
        String command = Stack.HOME.resolve("bin/tollgate") + " launch --gateway " + stack.get().gateway("") + " codex";
        Output tui = Output.of(launcher(home, standInAgent(home), List.of("script", "-qfec", command, "/dev/null")).start());
        try {
            tui.await("Model for codex [1-2, or a name]: ");
            String offered = tui.text().toString();
            assertTrue(offered.contains("1  gpt-5.5") && offered.contains("2  anthropic/claude-sonnet-4-5") && !offered.contains("gpt-4o"),
                    "the models this key may use, numbered: " + offered);
            tui.process().getOutputStream().write("nine\r".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            tui.process().getOutputStream().flush();
            tui.await("Not one of the listed models");
            tui.process().getOutputStream().write("2\r".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            tui.process().getOutputStream().flush();
            tui.await("ready");
            assertTrue(tui.text().toString().contains("model=\"anthropic/claude-sonnet-4-5\""), "the agent runs on the model picked: " + tui.text());
        } finally {
            tui.process().destroy();
            tui.process().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theAgentsExitCodeIsTheLaunchersAndSigtermReachesTheAgent() throws Exception {
        Path home = userHome();
        Output run = Output.of(launcher(home, standInAgent(home), List.of(Stack.HOME.resolve("bin/tollgate").toString(), "launch", "--gateway",
                stack.get().gateway(""), "codex", "-m", "gpt-5.5")).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start());
        run.await("ready");
        // The launcher is the agent's parent (the JVM cannot exec): a supervisor's SIGTERM to it must reach the agent.
        assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(run.process().pid())).start().waitFor());
        assertTrue(run.process().waitFor(30, TimeUnit.SECONDS), "the launcher ended with its agent: " + run.text());
        assertEquals(42, run.process().exitValue(), "the agent's own exit code: " + run.text());
        assertTrue(run.text().toString().contains("got-term"), "the agent got the SIGTERM: " + run.text());
    }

    @Test
    void withoutATerminalOrModelItNamesMinusMAndTheKeysModels() throws Exception {
        Cli.Result result = launch(userHome(), List.of("codex"));
        assertEquals(2, result.exit(), result.all());
        assertTrue(result.stderr().contains("-m MODEL") && result.stderr().contains("gpt-5.5") && !result.stderr().contains("gpt-4o"),
                "the models this key may use, from the gateway: " + result.all());
        assertEquals("[]", SimRequests.all(stack.get()).strip(), "nothing was sent upstream");
    }

    @Test
    void aModelTheKeyMayNotUseIsRefusedBeforeTheAgentStarts() throws Exception {
        Cli.Result result = launch(userHome(), List.of("claude", "-m", "gpt-4o", "--", "-p", "hi"));
        assertEquals(2, result.exit(), result.all());
        assertTrue(result.stderr().contains("may not use 'gpt-4o'"), result.all());
    }

    @Test
    void printEnvNamesTheKeyWithoutPrintingIt() throws Exception {
        Cli.Result result = launch(userHome(), List.of("--print-env", "claude", "-m", "gpt-5.5"));
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("export ANTHROPIC_BASE_URL='" + stack.get().gateway("/anthropic") + "'"), result.stdout());
        assertTrue(result.stdout().contains("export ANTHROPIC_AUTH_TOKEN=\"$(cat ~/.config/tollgate/key)\""), result.stdout());
        assertFalse(result.stdout().contains("tg-launch-dev"), "the secret is not printed");
    }

    @Test
    void printEnvForCodexWritesItsModelCatalogAndNamesIt() throws Exception {
        Path home = userHome();
        Cli.Result result = launch(home, List.of("--print-env", "codex", "-m", "anthropic/claude-sonnet-4-5"));
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("'model_catalog_json=\"'\"$HOME/.config/tollgate/launch\"'/codex-models.json\"'"), result.stdout());
        assertTrue(Files.readString(home.resolve(".config/tollgate/launch/codex-models.json")).contains("\"slug\":\"anthropic/claude-sonnet-4-5\""));
        assertFalse(result.stdout().contains("tg-launch-dev"), "the secret is not printed");
    }
}
