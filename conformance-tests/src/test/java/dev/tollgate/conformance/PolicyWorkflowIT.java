package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example policy repository's CI workflow, run as GitHub Actions would run it: each step's own
 * {@code run} script from {@code .github/workflows/policy.yml}, in bash with {@code -eo pipefail}, its
 * {@code ${{ }}} expressions filled in, in a checkout whose pull request removes a key. {@code gh} is a
 * stand-in that records what would be posted. The replay reads an export file.
 */
class PolicyWorkflowIT {

    private static final Path WORKFLOW = Stack.HOME.resolve("policies-example-repo/.github/workflows/policy.yml");

    @Test
    void validateDiffAndReplayArePostedOnThePullRequest(@TempDir Path work) throws Exception {
        // origin: the example policy on main; the pull request: dan's key removed
        Path origin = work.resolve("origin");
        copy(Stack.HOME.resolve("policies-example-repo"), origin);
        sh(origin, "git init -q -b main && git add -A && git -c user.name=ci -c user.email=ci@example.test commit -qm base");
        sh(work, "git clone -q origin policy");
        Path keys = work.resolve("policy/teams/payments/keys.yaml");
        String text = Files.readString(keys);
        int dan = text.indexOf("  - id: dan");
        Files.writeString(keys, text.substring(0, dan).stripTrailing() + "\n");
        sh(work.resolve("policy"), "git -c user.name=ci -c user.email=ci@example.test commit -qam 'remove dan'");
        Files.createSymbolicLink(work.resolve("tollgate"), Stack.HOME);

        Path export = work.resolve("export.ndjson");
        String now = java.time.Instant.now().minusSeconds(3600).toString();
        Files.write(export, List.of(
                line(now, "carol", "payments", "acme"),
                line(now, "dan", "payments", "acme"),
                "{\"v\":1,\"end\":true,\"records\":2}"));
        Path bin = Files.createDirectories(work.resolve("fake-bin"));
        Path gh = bin.resolve("gh");
        Files.writeString(gh, "#!/usr/bin/env bash\n# records the comment instead of posting it\nwhile [ $# -gt 0 ]; do\n"
                + "  if [ \"$1\" = --body-file ]; then cp \"$2\" \"" + work.resolve("posted.md") + "\"; fi; shift\ndone\n");
        gh.toFile().setExecutable(true);

        JsonNode steps = new ObjectMapper(new YAMLFactory()).readTree(WORKFLOW.toFile()).path("jobs").path("validate").path("steps");
        List<String> ran = new ArrayList<>();
        Path summary = work.resolve("summary.md");
        for (JsonNode step : steps) {
            String name = step.path("name").asText();
            if (!step.has("run") || name.startsWith("Build")) {
                continue; // checkout and setup-java are the runner's; the CLI is this build's (make package ran)
            }
            ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step.path("run").asText(), export))
                    .directory(work.toFile()).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.put("PATH", bin + ":" + env.get("PATH"));
            env.put("GITHUB_STEP_SUMMARY", summary.toString());
            env.remove("TOLLGATE_ADMIN_TOKEN");
            step.path("env").properties().forEach(e -> env.put(e.getKey(), expand(e.getValue().asText(), export)));
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), name);
            assertEquals(0, p.exitValue(), name + ":\n" + output);
            ran.add(name);
        }
        assertEquals(List.of("Validate", "Diff against the base branch", "Replay last week's requests",
                "Post the diff and the replay on the pull request"), ran);
        String posted = Files.readString(work.resolve("posted.md"));
        assertTrue(posted.contains("### What this pull request changes"), posted);
        assertTrue(posted.contains("dan"), "the diff names the removed key: " + posted);
        assertTrue(posted.contains("### What this pull request would have done to last week's traffic"), posted);
        assertTrue(posted.contains("| `dan` | 1 | 1: 1 key removed ("), posted);
        assertTrue(posted.contains("| **all** | 2 | 1 |"), posted);
        assertTrue(Files.readString(summary).contains("key removed"), "the replay is in the job summary too");
    }

    private static String line(String time, String key, String team, String customer) {
        return "{\"v\":1,\"id\":\"r-" + key + "\",\"time\":\"" + time + "\",\"key\":\"" + key + "\",\"team\":\"" + team + "\",\"customer\":\""
                + customer + "\",\"client\":\"codex\",\"requested_model\":\"gpt-4.1-mini\",\"provider\":\"openai\",\"model\":\"gpt-4.1-mini\",\"status\":200,"
                + "\"input_tokens\":100,\"output_tokens\":10,\"cached_tokens\":0,\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":\"0\"}";
    }

    /** What Actions substitutes before the shell sees the script. */
    private static String expand(String s, Path export) {
        return s.replace("${{ github.base_ref }}", "main").replace("${{ github.event.pull_request.number }}", "7")
                .replace("${{ github.token }}", "not-a-token").replace("${{ vars.TOLLGATE_REQUESTS }}", export.toString())
                .replace("${{ secrets.TOLLGATE_VIEWER_TOKEN }}", "");
    }

    private static void sh(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-ec", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, script + ": " + out);
    }

    private static void copy(Path from, Path to) throws Exception {
        try (var files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
