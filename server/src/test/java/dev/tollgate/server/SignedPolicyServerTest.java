package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.CommitSigners;
import dev.tollgate.server.gitops.GitPolicyWatcher;
import dev.tollgate.server.gitops.SigningGit;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed commits only, in-process: what /admin/policy, /metrics and the audit trail say about a refused commit. */
class SignedPolicyServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String OPERATOR = "tg-operator-token-for-tests";

    private static Map<String, String> policy(String model) {
        return Map.of(
                "providers.yaml", """
                        providers:
                          - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
                        models:
                          - name: m
                            targets: [{provider: up, model: %s}]
                        """.formatted(model),
                "admins.yaml", "admins:\n  - {id: ops, role: operator, sha256: " + Secrets.sha256(OPERATOR) + "}\n");
    }

    private static JsonNode admin(int port, String path, boolean post) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("authorization", "Bearer " + OPERATOR);
        if (post) {
            b.POST(HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return path.equals("/metrics") ? JSON.getNodeFactory().textNode(r.body()) : JSON.readTree(r.body());
    }

    @Test
    void aCommitByAKeyNotOnTheListIsRefusedVisiblyAndAudited(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            Path alice = git.sshKey("alice");
            Path mallory = git.sshKey("mallory");
            Path allowed = Files.writeString(tmp.resolve("allowed_signers"), SigningGit.allowedSignersLine("alice@example.com", alice) + "\n");
            String good = git.commit("model a", policy("a"), alice);
            Path state = tmp.resolve("state");
            GitPolicyWatcher watcher = GitPolicyWatcher.open(git.repo.toString(), "main", "", state, Duration.ofHours(1),
                    CommitSigners.load(Optional.of(allowed), Optional.empty()));
            ServerSettings settings = new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5),
                    "main", "", Duration.ofHours(1), Optional.empty());
            try (TollgateServer server = TollgateServer.start(settings, watcher.holder(), watcher, Telemetry.create(TelemetrySettings.defaults(), state))) {
                int port = server.port();
                String forged = git.commit("model b, signed by mallory", policy("b"), mallory);
                assertEquals("untrusted", admin(port, "/admin/policy/refresh", true).path("result").asText());
                JsonNode status = admin(port, "/admin/policy", false);
                assertEquals(good, status.path("active").path("commit").asText(), "the last good commit stays in force");
                assertEquals(forged, status.path("last_tried").path("commit").asText());
                assertTrue(status.path("last_tried").path("errors").toString().contains("not in the allowed signers file"), status.toString());
                String metrics = admin(port, "/metrics", false).asText();
                assertTrue(metrics.contains("tollgate_policy_reloads_total{result=\"untrusted\"} 1.0"), metrics);
                assertTrue(metrics.contains("tollgate_policy_last_reload_invalid 1.0"), metrics);

                String next = git.commit("model c, signed by alice", policy("c"), alice);
                assertEquals("updated", admin(port, "/admin/policy/refresh", true).path("result").asText());

                List<JsonNode> audit = new ArrayList<>();
                for (String line : Files.readAllLines(state.resolve("audit.log"))) {
                    audit.add(JSON.readTree(line.substring(line.indexOf('{'))));
                }
                JsonNode refused = audit.stream().filter(e -> e.path("kind").asText().equals("policy.refused")).findFirst().orElseThrow();
                assertEquals(forged, refused.path("commit").asText());
                assertTrue(refused.path("claimed_signer").asText().startsWith("ssh SHA256:"), refused.toString());
                assertTrue(refused.path("reason").asText().contains("not in the allowed signers file"), refused.toString());
                JsonNode applied = audit.stream().filter(e -> e.path("kind").asText().equals("policy.applied")).findFirst().orElseThrow();
                assertEquals(next, applied.path("commit").asText());
                assertTrue(applied.path("signer").asText().startsWith("ssh alice@example.com SHA256:"), applied.toString());
            } finally {
                watcher.close();
            }
        }
    }

    @Test
    void aSignerListThatDoesNotParseStopsTheStartNamingFileAndLine(@TempDir Path tmp) throws Exception {
        try (SigningGit git = new SigningGit(tmp)) {
            Path alice = git.sshKey("alice");
            git.commit("model a", policy("a"), alice);
            Path allowed = Files.writeString(tmp.resolve("allowed_signers"),
                    SigningGit.allowedSignersLine("alice@example.com", alice) + "\nbob@example.com ssh-ed25519\n");
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            java.io.PrintStream saved = System.err;
            int code;
            try {
                System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
                code = Main.run("serve", "--policy", git.repo.toString(), "--state-dir", tmp.resolve("state").toString(),
                        "--port", "0", "--policy-signers", allowed.toString());
            } finally {
                System.setErr(saved);
            }
            assertEquals(1, code, "the gateway must not start unguarded");
            assertTrue(err.toString().contains(allowed + ":2"), err.toString());

            Path dir = Files.createDirectories(tmp.resolve("plain"));
            Files.writeString(dir.resolve("providers.yaml"), policy("a").get("providers.yaml"));
            err.reset();
            try {
                System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
                code = Main.run("serve", "--policy", dir.toString(), "--state-dir", tmp.resolve("state2").toString(),
                        "--port", "0", "--policy-signers", Files.writeString(tmp.resolve("good_signers"),
                                SigningGit.allowedSignersLine("alice@example.com", alice)).toString());
            } finally {
                System.setErr(saved);
            }
            assertEquals(1, code, "a directory cannot be signed: signed commits only needs a Git source");
            assertTrue(err.toString().contains("needs a Git policy source"), err.toString());
        }
    }
}
