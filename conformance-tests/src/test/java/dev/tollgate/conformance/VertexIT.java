package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Vertex AI through the gateway: the real Gemini CLI and Claude Code on Vertex models, with the
 * gateway trading a service-account key (made here at run time) for OAuth tokens at the
 * simulator's token endpoint, which issues tokens that live only {@value #TOKEN_TTL_SECONDS} s.
 */
class VertexIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TOKEN_TTL_SECONDS = 2;
    private static final String GEMINI_SETTINGS = """
            {"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false},
             "general":{"enableAutoUpdate":false,"enableAutoUpdateNotification":false,"maxAttempts":1}}
            """;
    private static Path keys;
    private static ServiceAccountKey good;

    @RegisterExtension
    static final StackExtension stack = StackExtension.starting(VertexIT::startStack).clearingSim(StackExtension.REQUESTS);

    /** The policy names key files in a directory made here; {@link #writeKeys} fills it once the simulator's port is known. */
    private static Stack startStack() throws Exception {
        keys = Files.createTempDirectory("tollgate-vertex-keys-");
        return Stack.start("vertex", "providers:\n"
                + vertexProvider("vertex", "file:" + keys.resolve("good.json"))
                + vertexProvider("vertex-burst", "file:" + keys.resolve("good-reformatted.json"))
                + vertexProvider("vertex-badkey", "file:" + keys.resolve("not-a-key.json"))
                + vertexProvider("vertex-stranger", "file:" + keys.resolve("stranger.json"))
                + vertexProvider("vertex-offline", "file:" + keys.resolve("offline.json"))
                + vertexProvider("vertex-unset", "env:TOLLGATE_TEST_VERTEX_KEY_NOT_SET"));
    }

    /** A Vertex provider on the simulator, in the test project and region, with this credential reference. */
    private static String vertexProvider(String id, String credential) {
        return """
                  - id: %s
                    kind: vertex
                    base_url: http://127.0.0.1:SIM_PORT
                    credential: %s
                    settings: {project: tollgate-test, location: us-east5}
                """.formatted(id, credential);
    }

    @BeforeAll
    static void writeKeys() throws Exception {
        String tokenUri = stack.get().sim("/token");
        good = ServiceAccountKey.generate("gateway");
        Files.writeString(keys.resolve("good.json"), good.json(tokenUri));
        // The same key laid out differently: the gateway caches its tokens apart (by the file's hash).
        Files.writeString(keys.resolve("good-reformatted.json"), good.json(tokenUri).replace(",", ",\n  "));
        // Signed with a key the token endpoint was never told about: it refuses the grant.
        Files.writeString(keys.resolve("stranger.json"), ServiceAccountKey.generate("stranger").json(tokenUri));
        // Its token endpoint is a port nobody listens on.
        Files.writeString(keys.resolve("offline.json"), good.json("http://127.0.0.1:" + Stack.freePort() + "/token"));
        Files.writeString(keys.resolve("not-a-key.json"), "{\"type\":\"service_account\",\"client_email\":\"x@y\"}");
        configureTokens(TOKEN_TTL_SECONDS);
    }

    private static void configureTokens(int ttlSeconds) throws Exception {
        HttpResponse<String> configured = stack.get().put(stack.get().sim("/_sim/vertex"), JSON.writeValueAsString(Map.of(
                "public_key", good.publicKeyPem(), "token_ttl_seconds", ttlSeconds)));
        assertEquals(200, configured.statusCode(), configured.body());
    }

    @AfterAll
    static void deleteKeys() throws Exception {
        if (keys != null) {
            try (var files = Files.list(keys)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(keys);
        }
    }

    private static JsonNode vertexStats() throws Exception {
        return JSON.readTree(stack.get().get(stack.get().sim("/_sim/vertex")).body());
    }

    /** Every call reached Vertex with a bearer token the token endpoint issued and had not yet expired. */
    private static void assertAllCallsHadLiveTokens(List<JsonNode> calls, long rejectedBefore) throws Exception {
        for (JsonNode call : calls) {
            assertTrue(call.path("headers").path("authorization").asText().startsWith("Bearer sim-vertex-"), "an issued token: " + call.path("headers"));
            assertTrue(call.path("headers").path("x-api-key").isMissingNode() && call.path("headers").path("x-goog-api-key").isMissingNode(),
                    "the client's key never reaches the provider: " + call.path("headers"));
        }
        assertEquals(rejectedBefore, vertexStats().path("rejected_calls").asLong(), "no call was refused for its token: " + SimRequests.all(stack.get()));
    }

    @Test
    void geminiCliDoesAToolRoundTripOnAVertexGeminiModel() throws Exception {
        long rejected = vertexStats().path("rejected_calls").asLong();
        Path home = Cli.home(stack.get(), "gemini");
        Files.writeString(Files.createDirectories(home.resolve(".gemini")).resolve("settings.json"), GEMINI_SETTINGS);
        Cli.Result result = Cli.run(List.of(Cli.gemini().toString(), "--skip-trust", "--yolo", "-m", "vertex/gemini-2.5-pro", "-p", Cli.TOOL_PROMPT),
                Map.of("GOOGLE_GEMINI_BASE_URL", stack.get().gateway("/genai"), "GEMINI_API_KEY", "tg-test-key", "GEMINI_CLI_NO_RELAUNCH", "true"),
                home);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the model's last answer quotes the tool's output: " + result.all());

        List<JsonNode> calls = SimRequests.to(stack.get(), "/publishers/google/models/gemini-2.5-pro:streamGenerateContent");
        assertEquals(2, calls.size(), "one turn asking for the tool, one with its result: " + SimRequests.all(stack.get()));
        for (JsonNode call : calls) {
            assertEquals("/v1/projects/tollgate-test/locations/us-east5/publishers/google/models/gemini-2.5-pro:streamGenerateContent",
                    call.path("path").asText());
            assertEquals("alt=sse", call.path("query").asText(), "streamed as SSE");
        }
        assertTrue(calls.get(0).path("body").path("tools").toString().contains("run_shell_command"));
        String second = calls.get(1).path("body").path("contents").toString();
        assertTrue(second.contains("\"functionCall\"") && second.contains("\"functionResponse\"") && second.contains("tollgate-tool-ok"),
                "the Gemini CLI's own turn with the tool's result went up as it sent it: " + second);
        assertAllCallsHadLiveTokens(calls, rejected);
    }

    @Test
    void claudeCodeDoesABashRoundTripOnAVertexClaudeModel() throws Exception {
        long rejected = vertexStats().path("rejected_calls").asLong();
        Path home = Cli.home(stack.get(), "claude");
        Cli.Result result = Cli.run(List.of(Cli.claude().toString(), "-p", "--model", "vertex/claude-sonnet-4-5@20250929", "--allowedTools=Bash", Cli.TOOL_PROMPT),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"), "ANTHROPIC_API_KEY", "tg-test-key",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1", "CLAUDE_CODE_MAX_RETRIES", "0"),
                home);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the answer quotes the tool's output: " + result.all());

        // Claude Code hides a broken stream by retrying without streaming: only the upstream can tell.
        List<JsonNode> calls = SimRequests.to(stack.get(), "/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict");
        assertEquals(2, calls.size(), "one turn asking for the tool, one with its result: " + SimRequests.all(stack.get()));
        assertTrue(SimRequests.to(stack.get(), ":rawPredict").isEmpty(), "nothing went up unstreamed");
        for (JsonNode call : calls) {
            JsonNode body = call.path("body");
            assertTrue(body.path("stream").asBoolean(), "every upstream call streamed: " + call);
            assertFalse(body.has("model"), "the model is in the path on Vertex");
            assertEquals("vertex-2023-10-16", body.path("anthropic_version").asText());
        }
        assertTrue(calls.get(0).path("body").path("tools").toString().contains("\"Bash\""));
        // Claude Code sends its own betas (claude-code-20250219, prompt-caching-scope-..., ...) that Vertex refuses
        // with a 400: only the ones Vertex takes went up.
        java.util.Set<String> vertexTakes = java.util.Set.of("context-1m-2025-08-07", "interleaved-thinking-2025-05-14",
                "context-management-2025-06-27", "computer-use-2025-01-24", "computer-use-2025-11-24", "tool-search-tool-2025-10-19",
                "compact-2026-01-12");
        for (JsonNode call : calls) {
            String beta = call.path("headers").path("anthropic-beta").asText("");
            for (String value : beta.split(",")) {
                assertTrue(value.isBlank() || vertexTakes.contains(value.strip()), "a beta Vertex refuses went up: " + beta);
            }
            assertTrue(beta.contains("interleaved-thinking-2025-05-14"), "the betas Vertex takes still go up: " + call.path("headers"));
        }
        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode result2 = messages.get(messages.size() - 1).path("content");
        boolean hasResult = false;
        for (JsonNode part : result2) {
            hasResult |= "tool_result".equals(part.path("type").asText()) && part.toString().contains("tollgate-tool-ok");
        }
        assertTrue(hasResult, "Claude Code really ran the command: " + result2);
        assertAllCallsHadLiveTokens(calls, rejected);
    }

    /**
     * Tokens live {@value #TOKEN_TTL_SECONDS} s here: calls spread over several lifetimes each find a
     * live token, fetched before the old one died, and none is refused.
     */
    @Test
    void tokensThatExpireMidRunAreRenewedWithoutAFailedRequest() throws Exception {
        JsonNode before = vertexStats();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(3L * TOKEN_TTL_SECONDS + 1).toNanos();
        int calls = 0;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> res = stack.get().post(stack.get().gateway("/genai/v1beta/models/vertex/gemini-2.5-pro:generateContent"),
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}");
            assertEquals(200, res.statusCode(), "call " + calls + ": " + res.body());
            calls++;
            Thread.sleep(100); // spreads the calls over the tokens' lifetimes
        }
        JsonNode after = vertexStats();
        long fetched = after.path("token_requests").asLong() - before.path("token_requests").asLong();
        assertTrue(fetched >= 3, "tokens were renewed as they aged (" + fetched + " fetches for " + calls + " calls)");
        assertTrue(fetched < calls, "tokens were reused between renewals (" + fetched + " fetches for " + calls + " calls)");
        assertEquals(before.path("rejected_calls").asLong(), after.path("rejected_calls").asLong(), "no call reached Vertex with a dead token");
    }

    @Test
    void aKeyThatIsNotAServiceAccountKeyGets503InTheClientsDialect() throws Exception {
        HttpResponse<String> res = stack.get().post(stack.get().gateway("/anthropic/v1/messages"),
                "{\"model\":\"vertex-badkey/claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(503, res.statusCode(), res.body());
        JsonNode error = JSON.readTree(res.body());
        assertEquals("error", error.path("type").asText(), "Anthropic's error shape: " + res.body());
        String message = error.path("error").path("message").asText();
        assertTrue(message.contains("'vertex-badkey'") && message.contains("file:" + keys.resolve("not-a-key.json"))
                && message.contains("not a usable service-account JSON key"), message);
        assertFalse(res.body().contains("at com.google") || res.body().contains("Exception"), "no stack trace: " + res.body());
    }

    @Test
    void aRefusedGrantGets502NamingTheTokenEndpointsReason() throws Exception {
        HttpResponse<String> res = stack.get().post(stack.get().gateway("/genai/v1beta/models/vertex-stranger/gemini-2.5-pro:generateContent"),
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}");
        assertEquals(502, res.statusCode(), res.body());
        String message = JSON.readTree(res.body()).path("error").path("message").asText();
        assertTrue(message.contains("'vertex-stranger'") && message.contains("HTTP 400: invalid_grant (Invalid JWT Signature.)"), res.body());
        assertTrue(SimRequests.to(stack.get(), ":generateContent").isEmpty(), "no model call without a token");
    }

    @Test
    void anUnsetKeyVariableGetsTheUsualProviderNotReady() throws Exception {
        HttpResponse<String> res = stack.get().post(stack.get().gateway("/v1/chat/completions"),
                "{\"model\":\"vertex-unset/gemini-2.5-pro\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(503, res.statusCode(), res.body());
        assertTrue(JSON.readTree(res.body()).path("error").path("message").asText().contains("[env:TOLLGATE_TEST_VERTEX_KEY_NOT_SET] not set"), res.body());
    }

    /** Codex speaks only Responses: translated to Anthropic Messages, sent to Claude on Vertex, and back. */
    @Test
    void codexDoesAToolRoundTripOnAVertexClaudeModel() throws Exception {
        long rejected = vertexStats().path("rejected_calls").asLong();
        Cli.Result result = Cli.codexExec(stack.get(), "vertex/claude-sonnet-4-5@20250929", Cli.codexViaGateway(stack.get(), ""),
                Map.of("GW_API_KEY", "tg-test-key"), Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());

        List<JsonNode> calls = SimRequests.to(stack.get(), "/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict");
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + SimRequests.all(stack.get()));
        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("stream").asBoolean());
        assertFalse(first.has("model"));
        assertEquals("vertex-2023-10-16", first.path("anthropic_version").asText());
        assertTrue(first.path("tools").toString().contains("\"exec_command\""), "Codex's tools are offered: " + first.path("tools"));
        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode toolResult = messages.get(messages.size() - 1).path("content").get(0);
        assertEquals("tool_result", toolResult.path("type").asText(), messages.toString());
        assertTrue(toolResult.toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + toolResult);
        assertAllCallsHadLiveTokens(calls, rejected);
    }

    /** A burst of calls on a key with no token yet: one token request serves them all. */
    @Test
    void concurrentCallsOnAFreshKeyShareOneTokenRequest() throws Exception {
        configureTokens(3600); // long-lived here, so no renewal falls inside the burst
        try {
            long fetchedBefore = vertexStats().path("token_requests").asLong();
            List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 16; i++) {
                    answers.add(pool.submit(() -> stack.get().post(stack.get().gateway("/genai/v1beta/models/vertex-burst/gemini-2.5-flash:generateContent"),
                            "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}")));
                }
                for (var answer : answers) {
                    assertEquals(200, answer.get().statusCode(), answer.get().body());
                }
            }
            assertEquals(1, vertexStats().path("token_requests").asLong() - fetchedBefore, "16 calls, one token request");
        } finally {
            configureTokens(TOKEN_TTL_SECONDS);
        }
    }

    /** An Anthropic client's unstreamed call: rawPredict on a Claude model, translated and folded on a Gemini one. */
    @Test
    void unstreamedAnthropicCallsReachBothPublishers() throws Exception {
        String ask = "{\"model\":\"MODEL\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> claude = stack.get().post(stack.get().gateway("/anthropic/v1/messages"), ask.replace("MODEL", "vertex/claude-haiku-4-5@20251001"));
        assertEquals(200, claude.statusCode(), claude.body());
        assertEquals("message", JSON.readTree(claude.body()).path("type").asText(), claude.body());
        List<JsonNode> raw = SimRequests.to(stack.get(), "/publishers/anthropic/models/claude-haiku-4-5@20251001:rawPredict");
        assertEquals(1, raw.size(), SimRequests.all(stack.get()));
        assertEquals("{\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"anthropic_version\":\"vertex-2023-10-16\"}",
                raw.getFirst().path("body").toString(), "only model and anthropic_version changed");

        HttpResponse<String> gemini = stack.get().post(stack.get().gateway("/anthropic/v1/messages"), ask.replace("MODEL", "vertex/gemini-2.5-flash"));
        assertEquals(200, gemini.statusCode(), gemini.body());
        JsonNode message = JSON.readTree(gemini.body());
        assertEquals("message", message.path("type").asText(), gemini.body());
        assertTrue(message.path("content").get(0).path("text").asText().startsWith("Hello"), gemini.body());
        List<JsonNode> streamed = SimRequests.to(stack.get(), "/publishers/google/models/gemini-2.5-flash:streamGenerateContent");
        assertEquals(1, streamed.size(), "translated calls stream upstream: " + SimRequests.all(stack.get()));
        assertTrue(streamed.getFirst().path("body").has("contents"), "a Gemini body: " + streamed.getFirst());
    }

    @Test
    void anUnreachableTokenEndpointGets502SayingSo() throws Exception {
        HttpResponse<String> res = stack.get().post(stack.get().gateway("/v1/chat/completions"),
                "{\"model\":\"vertex-offline/gemini-2.5-pro\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(502, res.statusCode(), res.body());
        String message = JSON.readTree(res.body()).path("error").path("message").asText();
        assertTrue(message.contains("'vertex-offline'") && message.contains("could not be reached"), res.body());
    }
}
