package dev.tollgate.server.gitops;

import static dev.tollgate.server.gitops.GitPolicyWatcherTest.policy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed commits only, with real signatures made by {@code git commit -S} (ssh-keygen and gpg):
 * a good one goes into force and the audit gets its verified signer; unsigned, wrong-key and
 * tampered commits are kept out like bad commits, with the reason in the status.
 */
class SignedPolicyCommitsTest {

    private static GitPolicyWatcher watch(SigningGit git, Path tmp, CommitSigners signers) throws PolicyException {
        return GitPolicyWatcher.open(git.repo.toString(), "main", "", tmp.resolve("state"), Duration.ofHours(1), Optional.of(signers));
    }

    private static void assertKeptOut(GitPolicyWatcher watcher, String good, String bad, String why) {
        PolicyStatus status = watcher.refresh();
        assertEquals(PolicyStatus.Result.UNTRUSTED, status.lastResult(), status.toString());
        assertEquals(good, watcher.holder().current().version(), "the last good policy stays in force");
        assertEquals(bad, status.lastTried().orElseThrow().version());
        assertTrue(String.join("\n", status.lastErrors()).contains(why), status.lastErrors() + " should say " + why);
    }

    @Test
    void sshSignedCommitsOnly(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            Path alice = git.sshKey("alice");
            Path mallory = git.sshKey("mallory");
            Path allowed = Files.writeString(tmp.resolve("allowed_signers"),
                    "# who may change the policy\n" + SigningGit.allowedSignersLine("alice@example.com", alice) + "\n");
            CommitSigners signers = CommitSigners.load(Optional.of(allowed), Optional.empty()).orElseThrow();

            String good = git.commit("alice and bob", policy("a", true), alice);
            try (GitPolicyWatcher watcher = watch(git, tmp, signers)) {
                List<GitPolicyWatcher.Refusal> refused = new ArrayList<>();
                watcher.onRefused(refused::add);
                assertEquals(good, watcher.holder().current().version());
                String signer = watcher.signer(good).orElseThrow();
                assertTrue(signer.startsWith("ssh alice@example.com SHA256:"), signer);

                String unsigned = git.commit("remove bob, unsigned", policy("a", false), null);
                assertKeptOut(watcher, good, unsigned, "is not signed");

                String wrongKey = git.commit("remove bob, signed by mallory", policy("b", false), mallory);
                assertKeptOut(watcher, good, wrongKey, "not in the allowed signers");

                git.commit("a good change, signed by alice", policy("c", true), alice);
                String tampered = git.tamperHead("a good change, signed by alice (rewritten)");
                assertKeptOut(watcher, good, tampered, "bad SSH signature");

                assertEquals(3, refused.size(), refused.toString());
                assertEquals(Optional.empty(), refused.get(0).claimedSigner());
                assertTrue(refused.get(1).claimedSigner().orElseThrow().startsWith("ssh SHA256:"), refused.get(1).toString());
                assertEquals(tampered, refused.get(2).commit());
                assertEquals(3, watcher.status().reloads().get(PolicyStatus.Result.UNTRUSTED));

                String next = git.commit("remove bob, signed by alice", policy("d", false), alice);
                assertEquals(PolicyStatus.Result.UPDATED, watcher.refresh().lastResult());
                assertEquals(next, watcher.holder().current().version());
                assertTrue(watcher.signer(next).orElseThrow().startsWith("ssh alice@example.com "));
            }
        }
    }

    @Test
    void openPgpSignedCommitsOnly(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            String alice = git.gpgKey("Alice <alice@example.com>");
            String mallory = git.gpgKey("Mallory <mallory@example.com>");
            Path keyring = git.exportGpg(tmp.resolve("policy-signers.asc"), alice);
            CommitSigners signers = CommitSigners.load(Optional.empty(), Optional.of(keyring)).orElseThrow();

            String good = git.commit("alice and bob", policy("a", true), alice);
            try (GitPolicyWatcher watcher = watch(git, tmp, signers)) {
                List<GitPolicyWatcher.Refusal> refused = new ArrayList<>();
                watcher.onRefused(refused::add);
                assertEquals(good, watcher.holder().current().version());
                assertEquals("openpgp Alice <alice@example.com> fingerprint " + alice, watcher.signer(good).orElseThrow());

                String unsigned = git.commit("remove bob, unsigned", policy("a", false), null);
                assertKeptOut(watcher, good, unsigned, "is not signed");

                String wrongKey = git.commit("remove bob, signed by mallory", policy("b", false), mallory);
                assertKeptOut(watcher, good, wrongKey, "not in the keyring");
                assertEquals("openpgp fingerprint " + mallory, refused.get(1).claimedSigner().orElseThrow());

                git.commit("a good change, signed by alice", policy("c", true), alice);
                String tampered = git.tamperHead("a good change, signed by alice (rewritten)");
                assertKeptOut(watcher, good, tampered, "bad OpenPGP signature");
                assertEquals("openpgp fingerprint " + alice, refused.get(2).claimedSigner().orElseThrow());
            }
        }
    }

    @Test
    void aBadHeadAtStartIsRefusedAndTheLastGoodCommitServed(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            Path alice = git.sshKey("alice");
            Path allowed = Files.writeString(tmp.resolve("allowed_signers"), SigningGit.allowedSignersLine("alice@example.com", alice) + "\n");
            CommitSigners signers = CommitSigners.load(Optional.of(allowed), Optional.empty()).orElseThrow();
            String good = git.commit("alice and bob", policy("a", true), alice);
            try (GitPolicyWatcher first = watch(git, tmp, signers)) {
                assertEquals(good, first.holder().current().version());
            }
            String unsigned = git.commit("unsigned while the gateway was down", policy("b", true), null);
            try (GitPolicyWatcher watcher = watch(git, tmp, signers)) {
                List<GitPolicyWatcher.Refusal> refused = new ArrayList<>();
                watcher.onRefused(refused::add);
                assertEquals(good, watcher.holder().current().version());
                assertEquals(PolicyStatus.Result.UNTRUSTED, watcher.status().lastResult());
                assertEquals(unsigned, refused.getFirst().commit(), "a refusal at start still reaches the audit trail");
            }
            // With nothing good to fall back to, the gateway does not start.
            Path other = tmp.resolve("other");
            Files.createDirectories(other);
            try (SigningGit fresh = new SigningGit(other)) {
                fresh.commit("unsigned", policy("a", true), null);
                PolicyException e = assertThrows(PolicyException.class, () -> watch(fresh, other, signers));
                assertTrue(e.getMessage().contains("is not signed"), e.getMessage());
            }
        }
    }

    @Test
    void allowedSignersOptionsAreHonoured(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            Path alice = git.sshKey("alice");
            String[] key = SigningGit.allowedSignersLine("x", alice).split(" ", 2);
            String good = git.commit("alice and bob", policy("a", true), alice);
            Path gitOnly = Files.writeString(tmp.resolve("git-only"), "\"alice@example.com,pat@example.com\" namespaces=\"git\" " + key[1] + "\n");
            try (GitPolicyWatcher watcher = watch(git, tmp, CommitSigners.load(Optional.of(gitOnly), Optional.empty()).orElseThrow())) {
                assertEquals(good, watcher.holder().current().version());
            }
            // A key allowed to sign files only may not sign policy commits.
            Path fileOnly = Files.writeString(tmp.resolve("file-only"), "alice@example.com namespaces=\"file\" " + key[1] + "\n");
            CommitSigners signers = CommitSigners.load(Optional.of(fileOnly), Optional.empty()).orElseThrow();
            assertThrows(PolicyException.class, () -> GitPolicyWatcher.open(git.repo.toString(), "main", "", tmp.resolve("state2"),
                    Duration.ofHours(1), Optional.of(signers)));
        }
    }

    @Test
    void aSignerListThatDoesNotParseNamesTheFileAndLine(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            Path alice = git.sshKey("alice");
            Path allowed = Files.writeString(tmp.resolve("allowed_signers"), "# team\n"
                    + SigningGit.allowedSignersLine("alice@example.com", alice) + "\n"
                    + "bob@example.com ssh-ed25519 not-base64!!\n");
            PolicyException e = assertThrows(PolicyException.class, () -> CommitSigners.load(Optional.of(allowed), Optional.empty()));
            assertTrue(e.getMessage().contains(allowed + ":3"), e.getMessage());

            Path principalOnly = Files.writeString(tmp.resolve("principal-only"), "carol@example.com\n");
            e = assertThrows(PolicyException.class, () -> CommitSigners.load(Optional.of(principalOnly), Optional.empty()));
            assertTrue(e.getMessage().contains(principalOnly + ":1"), e.getMessage());

            Path keyring = Files.writeString(tmp.resolve("keys.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n");
            e = assertThrows(PolicyException.class, () -> CommitSigners.load(Optional.empty(), Optional.of(keyring)));
            assertTrue(e.getMessage().contains(keyring.toString()), e.getMessage());

            Path missing = tmp.resolve("missing");
            e = assertThrows(PolicyException.class, () -> CommitSigners.load(Optional.of(missing), Optional.empty()));
            assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        }
    }
}
