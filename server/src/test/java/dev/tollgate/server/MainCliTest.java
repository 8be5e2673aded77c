package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.TestRepo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI a reviewer and CI use: validate, diff, keys new. */
class MainCliTest {

    private record Run(int code, String out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static final String BASE = """
            providers: [{id: p, kind: openai, base_url: "https://api.openai.com/v1", credential: "env:K"}]
            customers: [{id: acme}]
            teams: [{id: infra, customer: acme}]
            """;

    @Test
    void validateExitsZeroOnTheExampleRepoAndOneWithFileLineColumnOnAMistake(@TempDir Path dir) throws Exception {
        Path example = Path.of(System.getProperty("user.dir")).resolveSibling("policies-example-repo");
        Run good = run("validate", example.toString());
        assertEquals(0, good.code(), good.out());
        assertTrue(good.out().contains("2 customers, 3 teams"), good.out());

        Files.writeString(dir.resolve("base.yaml"), BASE);
        Files.writeString(dir.resolve("keys.yaml"), "keys:\n  - {id: k, team: infra, sha256: " + Secrets.sha256("x") + ", budgets: [{amount_usd: 0, period: weekly}]}\n");
        Run bad = run("validate", dir.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.out().startsWith("keys.yaml:2:123: a budget of $0 can never be right"), bad.out());
    }

    @Test
    void keysNewPrintsTheSecretOnceAndAnEntryThatValidates(@TempDir Path dir) throws Exception {
        Run made = run("keys", "new", "--id", "gina", "--team", "infra");
        assertEquals(0, made.code());
        String secret = made.err().lines().filter(l -> l.trim().startsWith(Secrets.KEY_PREFIX)).findFirst().orElseThrow().trim();
        assertFalse(made.out().contains(secret), "the entry to commit never holds the secret");
        Files.writeString(dir.resolve("base.yaml"), BASE);
        Files.writeString(dir.resolve("keys.yaml"), "keys:\n" + made.out());
        assertEquals(0, run("validate", dir.toString()).code());
        var snapshot = dev.tollgate.policy.PolicyLoader.loadDirectory(dir);
        assertEquals("gina", snapshot.keyBySecret(secret).orElseThrow().key().id());

        Files.writeString(dir.resolve("oops.yaml"), "# " + secret + "\n");
        Run leaked = run("validate", dir.toString());
        assertEquals(1, leaked.code());
        assertTrue(leaked.out().startsWith("oops.yaml:1:3: this looks like a virtual key's plaintext"), leaked.out());
        assertFalse(leaked.out().contains(secret));
    }

    @Test
    void diffsTwoCommitsOfARepositoryInReviewerWords(@TempDir Path dir) throws Exception {
        try (TestRepo repo = new TestRepo(dir.resolve("repo"))) {
            String keys = "keys:\n  - {id: alice, team: infra, sha256: " + Secrets.sha256("a") + ", budgets: [{amount_usd: %s, period: monthly}]}\n";
            String old = repo.commit("old", Map.of("policy/base.yaml", BASE, "policy/keys.yaml", keys.formatted(50)));
            String now = repo.commit("new", Map.of("policy/base.yaml", BASE, "policy/keys.yaml", keys.formatted(100)));
            Run diff = run("diff", old, now, "--repo", repo.dir.toString(), "--path", "policy");
            assertEquals(0, diff.code(), diff.err() + diff.out());
            assertEquals("1 change:\n- key alice: monthly budget $50 -> $100\n", diff.out());
        }
    }

    @Test
    void everySubcommandAnswersHelpAndNamesAWrongOption() {
        for (String[] command : new String[][] {{"serve"}, {"validate"}, {"diff"}, {"keys"}, {"keys", "new"}, {"usage"}, {"audit"},
            {"audit", "verify"}}) {
            String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            Run help = run(args);
            assertEquals(0, help.code(), String.join(" ", args) + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: tollgate " + String.join(" ", command)), help.out());
        }
        assertTrue(run("keys", "new", "--help").out().contains("--team=TEAM"));
        assertTrue(run("serve", "--help").out().contains("--shutdown-grace=VALUE"), "serve lists the settings' flags");
        assertTrue(run("serve", "--help").out().contains("TOLLGATE_SHUTDOWN_GRACE)"), "with its variable");

        Run wrong = run("keys", "new", "--id", "x", "--tema", "infra");
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().startsWith("Unknown options: '--tema', 'infra'"), wrong.err());
        assertTrue(wrong.err().contains("Possible solutions: --team"), "a typo gets the option meant: " + wrong.err());
        Run unknown = run("keys", "new", "--id", "x", "--bogus");
        assertTrue(unknown.err().contains("Usage: tollgate keys new"), "else the usage of the command that was wrong: " + unknown.err());
        Run missing = run("keys", "new", "--team", "infra");
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("Missing required option: '--id=ID'"), missing.err());
        Run nothing = run();
        assertEquals(2, nothing.code());
        assertTrue(nothing.err().contains("Usage: tollgate"), nothing.err());
    }

    @Test
    void diffOfACommitThatDoesNotExistSaysSoNotThatItDoesNotValidate(@TempDir Path dir) throws Exception {
        try (TestRepo repo = new TestRepo(dir.resolve("repo"))) {
            String head = repo.commit("one", Map.of("policy/base.yaml", BASE));
            Run diff = run("diff", "deadbeef", head, "--repo", repo.dir.toString(), "--path", "policy");
            assertEquals(2, diff.code());
            assertTrue(diff.err().startsWith("tollgate diff: 'deadbeef' is neither a policy directory nor a commit of the repository in "),
                    diff.err());
            assertFalse((diff.out() + diff.err()).contains("validate"), diff.out() + diff.err());
        }
    }

    @Test
    void usageWithoutAGatewaySaysWhatFailedAndHowToNameOne() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        // Its own process: the admin token is read from the environment.
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "usage", "--url", "http://127.0.0.1:" + port);
        pb.environment().put("TOLLGATE_ADMIN_TOKEN", "tga-unused");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor());
        assertEquals("tollgate usage: no gateway answers at http://127.0.0.1:" + port
                + " (connection refused). Is it running? Name another with --url URL or TOLLGATE_URL.\n", out);
    }
}
