package dev.tollgate.server.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher against real temporary Git repositories (no server). */
class GitPolicyWatcherTest {

    static final String ALICE = "tg-alice-secret-for-tests";
    static final String BOB = "tg-bob-secret-for-tests";

    static Map<String, String> policy(String upstreamModel, boolean withBob) {
        return Map.of(
                "providers/up.yaml", """
                        providers:
                          - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                        models:
                          - name: m
                            targets: [{provider: up, model: %s}]
                        """.formatted(upstreamModel),
                "customers/acme.yaml", "customers: [{id: acme}]\nteams: [{id: infra, customer: acme}]\n",
                "teams/infra/keys.yaml", "keys:\n  - {id: alice, team: infra, sha256: " + Secrets.sha256(ALICE) + "}\n"
                        + (withBob ? "  - {id: bob, team: infra, sha256: " + Secrets.sha256(BOB) + "}\n" : ""));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aNewCommitTakesEffectWithinThePollIntervalAndARemovedKeyIsGoneAfterTheSwap(@TempDir Path tmp) throws Exception {
        try (TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            String first = repo.commit("alice and bob", policy("a", true));
            try (GitPolicyWatcher watcher = GitPolicyWatcher.open(repo.dir.toString(), "main", "", tmp.resolve("state"),
                    Duration.ofMillis(100)).start()) {
                PolicyHolder holder = watcher.holder();
                assertEquals(first, holder.current().version());
                assertTrue(holder.current().keyBySecret(BOB).isPresent());

                String second = repo.commit("remove bob", policy("a", false));
                await("the poll picks up " + second, () -> holder.current().version().equals(second));
                assertTrue(holder.current().keyBySecret(BOB).isEmpty(), "bob's key must be refused after the swap");
                assertTrue(holder.current().keyBySecret(ALICE).isPresent());
                PolicyStatus status = watcher.status();
                assertEquals("remove bob", status.active().message().orElseThrow());
                assertEquals("Pat Reviewer <pat@example.com>", status.active().author().orElseThrow());
                assertTrue(status.reloads().get(PolicyStatus.Result.UPDATED) >= 1);
            }
        }
    }

    @Test
    void followsASubDirectoryOfABranch(@TempDir Path tmp) throws Exception {
        try (TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            Map<String, String> nested = new java.util.HashMap<>();
            policy("a", true).forEach((k, v) -> nested.put("gateway/" + k, v));
            nested.put("README.yaml.txt", "not policy");
            nested.put(".github/workflows/policy.yml", "on: pull_request\nnot: [a policy");
            String sha = repo.commit("nested", nested);
            try (GitPolicyWatcher watcher = GitPolicyWatcher.open("file://" + repo.dir, "main", "gateway", tmp.resolve("state"),
                    Duration.ofHours(1))) {
                assertEquals(sha, watcher.holder().current().version());
                assertTrue(watcher.holder().current().resolve("m").isPresent());
            }
            PolicyException e = assertThrows(PolicyException.class, () -> GitPolicyWatcher.open(repo.dir.toString(), "main", "nowhere",
                    tmp.resolve("state2"), Duration.ofHours(1)));
            assertTrue(e.getMessage().contains("no policy files"), e.getMessage());
        }
    }

    @Test
    void startsFromTheMirrorWhenTheRemoteIsUnreachable(@TempDir Path tmp) throws Exception {
        Path remote = tmp.resolve("policy");
        String sha;
        try (TestRepo repo = new TestRepo(remote)) {
            sha = repo.commit("first", policy("a", true));
            GitPolicyWatcher.open(remote.toString(), "main", "", tmp.resolve("state"), Duration.ofHours(1)).close();
        }
        Files.move(remote, tmp.resolve("moved-away"));

        try (GitPolicyWatcher watcher = GitPolicyWatcher.open(remote.toString(), "main", "", tmp.resolve("state"), Duration.ofSeconds(1))) {
            assertEquals(sha, watcher.holder().current().version());
            assertTrue(watcher.holder().degraded().isPresent(), "an unreachable source is reported as degraded");
            assertEquals(PolicyStatus.Result.UNREACHABLE, watcher.refresh().lastResult());
            assertEquals(sha, watcher.holder().current().version());
            assertEquals(Duration.ofSeconds(4), watcher.nextDelay(), "two failed fetches in a row: the interval doubled twice");

            Files.move(tmp.resolve("moved-away"), remote);
            assertEquals(PolicyStatus.Result.UNCHANGED, watcher.refresh().lastResult());
            assertFalse(watcher.holder().degraded().isPresent(), "degraded clears once the source answers again");
            assertEquals(Duration.ofSeconds(1), watcher.nextDelay(), "back to the poll interval");
        }
        PolicyException never = assertThrows(PolicyException.class, () -> GitPolicyWatcher.open(tmp.resolve("absent").toString(), "main", "",
                tmp.resolve("fresh-state"), Duration.ofHours(1)));
        assertTrue(never.getMessage().contains("holds no copy"), never.getMessage());
    }

    @Test
    void aRestartWhileTheHeadIsBadStartsFromTheLastGoodCommit(@TempDir Path tmp) throws Exception {
        try (TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            String good = repo.commit("good", policy("a", true));
            GitPolicyWatcher.open(repo.dir.toString(), "main", "", tmp.resolve("state"), Duration.ofHours(1)).close();
            Map<String, String> bad = new java.util.HashMap<>(policy("a", true));
            bad.put("teams/infra/keys.yaml", "keys:\n  - {id: carol, team: nowhere, sha256: " + Secrets.sha256("c") + "}\n");
            String broken = repo.commit("carol in a team that does not exist", bad);
            try (GitPolicyWatcher watcher = GitPolicyWatcher.open(repo.dir.toString(), "main", "", tmp.resolve("state"), Duration.ofHours(1))) {
                assertEquals(good, watcher.holder().current().version());
                PolicyStatus status = watcher.status();
                assertEquals(broken, status.lastTried().orElseThrow().version());
                assertTrue(status.lastErrors().getFirst().startsWith("teams/infra/keys.yaml:2:23: key 'carol' belongs to team 'nowhere'"),
                        status.lastErrors().toString());
            }
        }
    }
}
