package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.GitPolicyWatcher;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.gitops.TestRepo;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway in-process, its policy followed from a real temporary Git repository. */
class GitOpsServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String OPERATOR = "tg-operator-token-for-tests";
    private static final String VIEWER = "tg-viewer-token-for-tests";

    private static Map<String, String> policy(int upstreamPort, String upstreamModel, boolean withViewer) {
        return Map.of(
                "providers.yaml", """
                        providers:
                          - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                        models:
                          - name: m
                            targets: [{provider: up, model: %s}]
                        """.formatted(upstreamPort, upstreamModel),
                "admins.yaml", "admins:\n  - {id: ops, role: operator, sha256: " + Secrets.sha256(OPERATOR) + "}\n"
                        + (withViewer ? "  - {id: auditor, role: viewer, sha256: " + Secrets.sha256(VIEWER) + "}\n" : ""));
    }

    private record Gateway(TollgateServer server, GitPolicyWatcher watcher) implements AutoCloseable {

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + server.port() + path);
        }

        @Override
        public void close() {
            watcher.close();
            server.close();
        }
    }

    private static Gateway start(TestRepo repo, Path state, Optional<String> webhookSecret) throws Exception {
        GitPolicyWatcher watcher = GitPolicyWatcher.open(repoPath(repo), "main", "", state, Duration.ofHours(1));
        ServerSettings settings = new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5),
                "main", "", Duration.ofHours(1), webhookSecret);
        return new Gateway(TollgateServer.start(settings, watcher.holder(), watcher,
                Telemetry.create(TelemetrySettings.defaults(), state)), watcher);
    }

    private static String repoPath(TestRepo repo) {
        return repo.dir.toString();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder admin(Gateway g, String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(g.uri(path));
        return token == null ? b : b.header("authorization", "Bearer " + token);
    }

    private static HttpResponse<String> chat(Gateway g, String requestId) throws Exception {
        return send(HttpRequest.newBuilder(g.uri("/v1/chat/completions"))
                .header("content-type", "application/json")
                .header("x-client-request-id", requestId)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
    }

    @Test
    void refreshTakesEffectAtOnceAndARemovedAdminTokenIsRefusedOnTheNextRequest(@TempDir Path tmp) throws Exception {
        try (FakeUpstream up = new FakeUpstream(); TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            up.answer(FakeUpstream.json(200, "{}"));
            String first = repo.commit("first", policy(up.port(), "a", true));
            try (Gateway g = start(repo, tmp.resolve("state"), Optional.empty())) {
                HttpResponse<String> answer = chat(g, "1");
                assertEquals(200, answer.statusCode());
                assertEquals(first, answer.headers().firstValue(PolicyHolder.HEADER).orElseThrow());

                HttpResponse<String> unknown = send(HttpRequest.newBuilder(g.uri("/v1/nothing-here")));
                assertEquals(404, unknown.statusCode());
                assertEquals(first, unknown.headers().firstValue(PolicyHolder.HEADER).orElseThrow(), "errors carry the commit too");
                assertEquals(401, send(admin(g, "/admin/policy", null)).statusCode());
                assertEquals(401, send(admin(g, "/admin/policy", "tg-not-an-admin")).statusCode());
                assertEquals(200, send(admin(g, "/admin/policy", VIEWER)).statusCode());
                assertEquals(403, send(admin(g, "/admin/policy/refresh", VIEWER).POST(HttpRequest.BodyPublishers.noBody())).statusCode(),
                        "a viewer may look but not refresh");

                String second = repo.commit("route m to b; drop the auditor", policy(up.port(), "b", false));
                HttpResponse<String> refreshed = send(admin(g, "/admin/policy/refresh", OPERATOR).POST(HttpRequest.BodyPublishers.noBody()));
                assertEquals(200, refreshed.statusCode(), refreshed.body());
                JsonNode body = JSON.readTree(refreshed.body());
                assertEquals("updated", body.path("result").asText());
                assertEquals(second, body.path("active").path("commit").asText());
                assertEquals("route m to b; drop the auditor", body.path("active").path("message").asText());

                HttpResponse<String> after = chat(g, "2");
                assertEquals(second, after.headers().firstValue(PolicyHolder.HEADER).orElseThrow());
                assertTrue(up.received.getLast().body().contains("\"model\":\"b\""));
                assertEquals(401, send(admin(g, "/admin/policy", VIEWER)).statusCode(), "the removed token is refused at once");

                // The audit trail: the commit at start, the change applied (author, diff summary), and who asked for it.
                java.util.List<JsonNode> audit = new java.util.ArrayList<>();
                for (String line : java.nio.file.Files.readAllLines(tmp.resolve("state").resolve("audit.log"))) {
                    audit.add(JSON.readTree(line.substring(65)));
                }
                assertEquals(java.util.List.of("policy.loaded", "policy.applied", "admin.action"),
                        audit.stream().map(e -> e.path("kind").asText()).toList(), audit.toString());
                assertEquals(first, audit.get(0).path("commit").asText());
                JsonNode applied = audit.get(1);
                assertEquals(second, applied.path("commit").asText());
                assertEquals(first, applied.path("previous").asText());
                assertEquals("Pat Reviewer <pat@example.com>", applied.path("author").asText());
                assertTrue(applied.path("signer").isNull(), "an unsigned commit names no signer");
                assertEquals("route m to b; drop the auditor", applied.path("message").asText());
                assertTrue(applied.path("changes").size() > 0 && applied.path("changes").toString().contains("auditor"), applied.toString());
                assertEquals("admin:ops", audit.get(2).path("actor").asText());
                assertEquals(0, Main.run("audit", "verify", "--state-dir", tmp.resolve("state").toString()));
            }
        }
    }

    @Test
    void aBadCommitLeavesTheOldPolicyInForceAndTheErrorVisible(@TempDir Path tmp) throws Exception {
        try (FakeUpstream up = new FakeUpstream(); TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            up.answer(FakeUpstream.json(200, "{}"));
            String good = repo.commit("good", policy(up.port(), "a", true));
            try (Gateway g = start(repo, tmp.resolve("state"), Optional.empty())) {
                Map<String, String> syntax = new HashMap<>(policy(up.port(), "a", true));
                syntax.put("providers.yaml", "providers:\n  - {id: up, kind: openai-compatible\n");
                Map<String, String> reference = new HashMap<>(policy(up.port(), "a", true));
                reference.put("models.yaml", "models:\n  - name: n\n    targets: [{provider: nowhere, model: x}]\n");
                Map<String, String> secret = new HashMap<>(policy(up.port(), "a", true));
                secret.put("notes.yaml", "# the upstream key: sk-" + "x".repeat(40) + "\n");
                List<Map.Entry<Map<String, String>, String>> bad = List.of(
                        Map.entry(syntax, "providers.yaml:2:37: not valid YAML"),
                        Map.entry(reference, "models.yaml:3:26: model 'n': provider 'nowhere' is not declared"),
                        Map.entry(secret, "notes.yaml:1:21: this looks like an OpenAI-style API key"));
                int invalid = 0;
                for (var b : bad) {
                    String sha = repo.commit("bad: " + b.getValue(), b.getKey());
                    JsonNode refreshed = JSON.readTree(send(admin(g, "/admin/policy/refresh", OPERATOR)
                            .POST(HttpRequest.BodyPublishers.noBody())).body());
                    assertEquals("invalid", refreshed.path("result").asText(), refreshed.toString());
                    invalid++;

                    JsonNode status = JSON.readTree(send(admin(g, "/admin/policy", VIEWER)).body());
                    assertEquals(good, status.path("active").path("commit").asText(), "the last good commit stays in force");
                    assertEquals(sha, status.path("last_tried").path("commit").asText());
                    String errors = status.path("last_tried").path("errors").toString();
                    assertTrue(errors.contains(b.getValue()), errors);
                    assertFalse(errors.contains("x".repeat(40)), "the secret is never echoed");
                    HttpResponse<String> answer = chat(g, "r" + invalid);
                    assertEquals(200, answer.statusCode());
                    assertEquals(good, answer.headers().firstValue(PolicyHolder.HEADER).orElseThrow());

                    String metrics = send(admin(g, "/metrics", OPERATOR)).body();
                    assertTrue(metrics.contains("tollgate_policy_reloads_total{result=\"invalid\"} " + invalid + ".0"), metrics);
                    assertTrue(metrics.contains("tollgate_policy_info{version=\"" + good + "\"} 1"), metrics);
                    assertTrue(metrics.contains("tollgate_policy_last_reload_invalid 1.0"), metrics);
                }
                String fixed = repo.commit("fixed", policy(up.port(), "c", true));
                JsonNode refreshed = JSON.readTree(send(admin(g, "/admin/policy/refresh", OPERATOR).POST(HttpRequest.BodyPublishers.noBody())).body());
                assertEquals("updated", refreshed.path("result").asText());
                assertEquals(fixed, refreshed.path("active").path("commit").asText());
                assertEquals(0, refreshed.path("last_tried").path("errors").size());
            }
        }
    }

    @Test
    void startsAndServesFromTheMirrorWhenTheRemoteIsUnreachable(@TempDir Path tmp) throws Exception {
        try (FakeUpstream up = new FakeUpstream()) {
            up.answer(FakeUpstream.json(200, "{}"));
            String sha;
            try (TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
                sha = repo.commit("first", policy(up.port(), "a", true));
                start(repo, tmp.resolve("state"), Optional.empty()).close();
                java.nio.file.Files.move(repo.dir, tmp.resolve("gone"));
                try (Gateway g = start(repo, tmp.resolve("state"), Optional.empty())) {
                    HttpResponse<String> answer = chat(g, "1");
                    assertEquals(200, answer.statusCode());
                    assertEquals(sha, answer.headers().firstValue(PolicyHolder.HEADER).orElseThrow());
                    HttpResponse<String> ready = send(HttpRequest.newBuilder(g.uri("/health/ready")));
                    assertEquals(200, ready.statusCode(), "degraded still serves");
                    assertEquals("DEGRADED", JSON.readTree(ready.body()).path("policy_source").asText(), ready.body());
                    assertTrue(send(admin(g, "/metrics", OPERATOR)).body().contains("tollgate_policy_source_degraded 1.0"));
                }
            }
        }
    }

    @Test
    void aSignedWebhookRefreshesAndAnUnsignedOneIsRefused(@TempDir Path tmp) throws Exception {
        try (FakeUpstream up = new FakeUpstream(); TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            repo.commit("first", policy(up.port(), "a", true));
            try (Gateway g = start(repo, tmp.resolve("state"), Optional.of("hook-secret"))) {
                String second = repo.commit("second", policy(up.port(), "b", true));
                String payload = "{\"ref\":\"refs/heads/main\"}";
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec("wrong".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                String wrong = "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
                assertEquals(401, send(HttpRequest.newBuilder(g.uri("/admin/policy/refresh")).header("X-Hub-Signature-256", wrong)
                        .POST(HttpRequest.BodyPublishers.ofString(payload))).statusCode());
                mac.init(new SecretKeySpec("hook-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                String right = "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
                HttpResponse<String> ok = send(HttpRequest.newBuilder(g.uri("/admin/policy/refresh")).header("X-Hub-Signature-256", right)
                        .POST(HttpRequest.BodyPublishers.ofString(payload)));
                assertEquals(200, ok.statusCode(), ok.body());
                assertEquals(second, g.watcher().holder().current().version());
                assertEquals(200, send(HttpRequest.newBuilder(g.uri("/admin/policy/refresh")).header("X-Gitlab-Token", "hook-secret")
                        .POST(HttpRequest.BodyPublishers.noBody())).statusCode());
            }
        }
    }

    @Test
    void fiftySwapsUnderSteadyLoadFailNoRequestAndEachIsAnsweredUnderOneSnapshot(@TempDir Path tmp) throws Exception {
        try (FakeUpstream up = new FakeUpstream(); TestRepo repo = new TestRepo(tmp.resolve("policy"))) {
            up.answer(FakeUpstream.json(200, "{\"choices\":[]}"));
            Map<String, String> modelOfCommit = new ConcurrentHashMap<>();
            modelOfCommit.put(repo.commit("v0", policy(up.port(), "v0", true)), "v0");
            try (Gateway g = start(repo, tmp.resolve("state"), Optional.empty())) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger sent = new AtomicInteger();
                List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                Map<String, String> versionOfRequest = new ConcurrentHashMap<>();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    int client = c;
                    clients.add(Thread.ofVirtual().start(() -> {
                        for (int i = 0; !stop.get(); i++) {
                            String id = client + "-" + i;
                            sent.incrementAndGet();
                            try {
                                HttpResponse<String> r = chat(g, id);
                                if (r.statusCode() != 200) {
                                    failures.add(id + ": HTTP " + r.statusCode() + " " + r.body());
                                }
                                versionOfRequest.put(id, r.headers().firstValue(PolicyHolder.HEADER).orElse("none"));
                            } catch (Exception e) {
                                failures.add(id + ": " + e);
                            }
                        }
                    }));
                }
                for (int swap = 1; swap <= 50; swap++) {
                    String model = "v" + swap;
                    String sha = repo.commit(model, policy(up.port(), model, true));
                    modelOfCommit.put(sha, model);
                    int before = sent.get();
                    assertEquals("updated", g.watcher().refresh().lastResult().id());
                    assertEquals(sha, g.watcher().holder().current().version());
                    // Let some requests run under this version before the next swap.
                    dev.tollgate.server.gitops.GitPolicyWatcherTestSupport.awaitMore(sent, before + 4);
                }
                stop.set(true);
                for (Thread t : clients) {
                    t.join();
                }
                assertEquals(List.of(), failures);
                assertTrue(versionOfRequest.size() >= 200, "load was steady: " + versionOfRequest.size() + " requests");
                Map<String, String> upstreamModelOfRequest = new HashMap<>();
                for (FakeUpstream.Received r : up.received) {
                    String model = JSON.readTree(r.body()).path("model").asText();
                    upstreamModelOfRequest.put(r.headers().get("x-client-request-id"), model);
                }
                for (var e : versionOfRequest.entrySet()) {
                    assertEquals(modelOfCommit.get(e.getValue()), upstreamModelOfRequest.get(e.getKey()),
                            "request " + e.getKey() + " was answered under " + e.getValue() + " but routed under another snapshot");
                }
                assertTrue(new java.util.HashSet<>(versionOfRequest.values()).size() > 25, "requests spanned the swaps");
            }
        }
    }
}
