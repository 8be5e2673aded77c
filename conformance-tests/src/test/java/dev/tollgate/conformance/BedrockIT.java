package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bedrock Converse upstream: real clients (the Codex CLI, the Anthropic Java SDK) through the gateway
 * to the simulator in Bedrock mode, which checks every request's SigV4 signature against a test key
 * made for this run.
 */
class BedrockIT {

    private static final String MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    private static final String POLICY = """
            providers:
              - id: sim-bedrock
                kind: bedrock
                base_url: http://127.0.0.1:SIM_PORT
                credential: env:TG_BEDROCK_SECRET
                settings: {region: us-east-1, access-key-id: env:TG_BEDROCK_KEY_ID, session-token: env:TG_BEDROCK_SESSION}
              - id: sim-bedrock-wrong
                kind: bedrock
                base_url: http://127.0.0.1:SIM_PORT
                credential: env:TG_BEDROCK_WRONG_SECRET
                settings: {region: us-east-1, access-key-id: env:TG_BEDROCK_KEY_ID}
              - id: sim-bedrock-unset
                kind: bedrock
                base_url: http://127.0.0.1:SIM_PORT
                credential: env:TG_BEDROCK_NEVER_SET
                settings: {region: us-east-1, access-key-id: env:TG_BEDROCK_KEY_ID}
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: bedrock/claude-sonnet-4-5
                targets: [{provider: sim-bedrock, model: "MODEL_ID"}]
              - name: bedrock-wrong/claude
                targets: [{provider: sim-bedrock-wrong, model: "MODEL_ID"}]
              - name: bedrock-unset/claude
                targets: [{provider: sim-bedrock-unset, model: "MODEL_ID"}]
              - name: bedrock-then-anthropic
                targets: [{provider: sim-bedrock, model: "anthropic.claude-haiku-4-5-20251001-v1:0"}]
                fallbacks: [{provider: sim-anthropic, model: claude-haiku-4-5}]
            customers: [{id: acme}]
            teams: [{id: infra, customer: acme}]
            keys:
              - {id: dev, team: infra, sha256: DEV_SHA}
              - {id: bill, team: infra, sha256: BILL_SHA}
            """.replace("MODEL_ID", MODEL_ID);
    private static final String HELLO = "Hello from the Tollgate provider simulator, all good.";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static String keyId;
    private static String devKey;
    private static String billKey;
    private static String sessionToken;

    @RegisterExtension
    static final StackExtension stack = StackExtension.starting(BedrockIT::startStack).clearingSim(StackExtension.REQUESTS);

    /** A test key of the AWS shape, made for this run only. */
    private static String random(String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** The simulator and the gateway share an AWS-shaped test key made for this run. */
    private static Stack startStack() throws Exception {
        keyId = "TGTEST" + random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 14);
        byte[] secretBytes = new byte[30];
        RANDOM.nextBytes(secretBytes);
        String secret = Base64.getEncoder().encodeToString(secretBytes);
        sessionToken = "session-" + random("abcdefghijklmnopqrstuvwxyz0123456789", 24);
        devKey = "tg-" + random("abcdefghijklmnopqrstuvwxyz0123456789", 24);
        billKey = "tg-" + random("abcdefghijklmnopqrstuvwxyz0123456789", 24);
        return Stack.start("bedrock", POLICY.replace("DEV_SHA", KeyHash.sha256(devKey)).replace("BILL_SHA", KeyHash.sha256(billKey)), Map.of(
                "SIM_AWS_ACCESS_KEY_ID", keyId, "SIM_AWS_SECRET_ACCESS_KEY", secret,
                "TG_BEDROCK_KEY_ID", keyId, "TG_BEDROCK_SECRET", secret, "TG_BEDROCK_SESSION", sessionToken,
                "TG_BEDROCK_WRONG_SECRET", new StringBuilder(secret).reverse().toString()));
    }

    private static AnthropicClient client() {
        return stack.anthropic(devKey);
    }

    private static void assertSigned(JsonNode call) {
        JsonNode headers = call.path("headers");
        String auth = headers.path("authorization").asText();
        assertTrue(auth.startsWith("AWS4-HMAC-SHA256 Credential=" + keyId + "/"), auth);
        assertTrue(auth.contains("/us-east-1/bedrock/aws4_request"), auth);
        assertTrue(headers.has("x-amz-date"), headers.toString());
        assertEquals(sessionToken, headers.path("x-amz-security-token").asText(), "the session token is sent (and signed)");
        assertTrue(headers.path("x-api-key").isMissingNode(), "the client's key never reaches the provider: " + headers);
        assertEquals("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream", call.path("path").asText(),
                "the model id is one percent-encoded path segment");
    }

    private static MessageCreateParams.Builder params(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(1024).system("Be brief.").addUserMessage("Say hello.");
    }

    @Test
    void anthropicSdkStreamsFromBedrock() throws Exception {
        MessageAccumulator acc = MessageAccumulator.create();
        int deltas = 0;
        try (StreamResponse<RawMessageStreamEvent> stream = client().messages().createStreaming(params("bedrock/claude-sonnet-4-5").build())) {
            for (RawMessageStreamEvent e : stream.stream().toList()) {
                acc.accumulate(e);
                deltas += e.contentBlockDelta().isPresent() ? 1 : 0;
            }
        }
        Message m = acc.message();
        assertEquals(HELLO, m.content().stream().flatMap(b -> b.text().stream()).map(t -> t.text()).collect(Collectors.joining()));
        assertEquals(8, deltas, "one delta per event-stream frame the upstream sent");
        assertEquals(StopReason.END_TURN, m.stopReason().orElseThrow());
        assertEquals(8, m.usage().outputTokens(), "usage from ConverseStream's metadata event");
        assertTrue(m.usage().inputTokens() > 0);

        List<JsonNode> calls = SimRequests.to(stack.get(), "/converse-stream");
        assertEquals(1, calls.size(), SimRequests.all(stack.get()));
        assertSigned(calls.getFirst());
        JsonNode body = calls.getFirst().path("body");
        assertEquals("Be brief.", body.path("system").get(0).path("text").asText());
        assertEquals("user", body.path("messages").get(0).path("role").asText());
        assertEquals("Say hello.", body.path("messages").get(0).path("content").get(0).path("text").asText());
        assertEquals(1024, body.path("inferenceConfig").path("maxTokens").asInt());
        assertTrue(body.path("model").isMissingNode(), "Converse names the model in the path only: " + body);
    }

    @Test
    void anthropicSdkToolUseFromBedrock() throws Exception {
        Tool bash = Tool.builder().name("Bash").description("Runs a shell command.")
                .inputSchema(Tool.InputSchema.builder().properties(JsonValue.from(Map.of("command", Map.of("type", "string"))))
                        .required(List.of("command")).build())
                .build();
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client().messages().createStreaming(params("bedrock/claude-sonnet-4-5").addTool(bash).build())) {
            stream.stream().forEach(acc::accumulate);
        }
        Message m = acc.message();
        assertEquals(StopReason.TOOL_USE, m.stopReason().orElseThrow());
        ToolUseBlock use = m.content().stream().flatMap(b -> b.toolUse().stream()).findFirst().orElseThrow();
        assertEquals("Bash", use.name());
        assertTrue(use.id().startsWith("tooluse_sim"), use.id());
        Map<?, ?> input = (Map<?, ?>) use._input().asObject().orElseThrow();
        assertEquals("echo tollgate-tool-ok", ((JsonValue) input.get("command")).asString().orElseThrow());

        JsonNode spec = SimRequests.to(stack.get(), "/converse-stream").getFirst().path("body").path("toolConfig").path("tools").get(0).path("toolSpec");
        assertEquals("Bash", spec.path("name").asText());
        assertEquals("string", spec.path("inputSchema").path("json").path("properties").path("command").path("type").asText());
    }

    /** Codex speaks only Responses; the gateway translates to Converse and the event stream back. */
    @Test
    void codexDoesAToolRoundTripOnBedrock() throws Exception {
        Cli.Result result = Cli.codexExec(stack.get(), "bedrock/claude-sonnet-4-5", Cli.codexViaGateway(stack.get(), ""),
                Map.of("GW_API_KEY", devKey), Cli.TOOL_PROMPT);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());

        List<JsonNode> calls = SimRequests.to(stack.get(), "/converse-stream");
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + SimRequests.all(stack.get()));
        calls.forEach(BedrockIT::assertSigned);
        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("system").get(0).path("text").asText().contains("Codex"), "Codex's instructions are the system prompt");
        assertTrue(first.path("toolConfig").toString().contains("\"exec_command\""), "Codex's tools are offered: " + first.path("toolConfig"));

        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode use = messages.get(messages.size() - 2).path("content");
        JsonNode toolUse = use.get(use.size() - 1).path("toolUse");
        JsonNode toolResult = messages.get(messages.size() - 1).path("content").get(0).path("toolResult");
        assertEquals("exec_command", toolUse.path("name").asText(), "the assistant turn ends with the call: " + messages);
        assertEquals("echo tollgate-tool-ok", toolUse.path("input").path("cmd").asText());
        assertEquals(toolUse.path("toolUseId").asText(), toolResult.path("toolUseId").asText());
        assertTrue(toolResult.path("content").toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + toolResult);
    }

    @Test
    void aWrongSecretIsRefusedByTheSimulatorAndReportedAsTheGatewaysCredential() throws Exception {
        AnthropicServiceException e = assertThrows(AnthropicServiceException.class,
                () -> client().messages().create(params("bedrock-wrong/claude").build()));
        assertTrue(e.getMessage().contains("refused the gateway's credential (HTTP 403)"), e.getMessage());
        assertTrue(SimRequests.to(stack.get(), "/converse-stream").size() >= 1, "the request did reach the simulator: " + SimRequests.all(stack.get()));
    }

    @Test
    void anUnsetSecretIsTheProviderKeyNotSet503() {
        AnthropicServiceException e = assertThrows(AnthropicServiceException.class,
                () -> client().messages().create(params("bedrock-unset/claude").build()));
        assertEquals(503, e.statusCode(), e.getMessage());
        assertTrue(e.getMessage().contains("env:TG_BEDROCK_NEVER_SET"), e.getMessage());
    }

    /** A ThrottlingException (429) from Bedrock moves the call to the fallback before any byte reached the client. */
    @Test
    void throttlingFallsBack() throws Exception {
        stack.get().post(stack.get().sim("/_sim/faults"), """
                {"faults": [{"status": 429, "model": "anthropic.claude-haiku-4-5-20251001-v1:0", "times": 5}]}""");
        try {
            Message m = client().messages().create(params("bedrock-then-anthropic").build());
            assertEquals(HELLO, m.content().stream().flatMap(b -> b.text().stream()).map(t -> t.text()).collect(Collectors.joining()));
            assertTrue(!SimRequests.to(stack.get(), "/converse-stream").isEmpty(), SimRequests.all(stack.get()));
            assertEquals(1, SimRequests.to(stack.get(), "/v1/messages").size(), SimRequests.all(stack.get()));
        } finally {
            stack.get().delete(stack.get().sim("/_sim/faults"));
        }
    }

    /** The settled cost is Converse's usage priced at the bundled list price of the Bedrock model id ($3 / $15 per million). */
    @Test
    void spendIsPricedFromConverseUsage() throws Exception {
        Message m = stack.anthropic(billKey).messages().create(params("bedrock/claude-sonnet-4-5").build());
        assertEquals(8, m.usage().outputTokens());
        java.math.BigDecimal expected = java.math.BigDecimal.valueOf(m.usage().inputTokens() * 3 + 8 * 15L).movePointLeft(6);
        JsonNode usage = new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.get().gateway("/v1/usage"))).header("authorization", "Bearer " + billKey).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        java.math.BigDecimal spent = usage.path("spend").path("monthly").path("spent_usd").decimalValue();
        assertEquals(0, expected.compareTo(spent), "spent " + spent + ", expected " + expected + ": " + usage);
    }

    /** A frame with a bad CRC after three good ones: the client has a 200 and its deltas, then Anthropic's own error event. */
    @Test
    void aCorruptFrameMidStreamEndsWithTheClientsErrorEvent() throws Exception {
        stack.get().post(stack.get().sim("/_sim/faults"), """
                {"faults": [{"malformed_after_chunks": 3, "model": "MODEL_ID"}]}""".replace("MODEL_ID", MODEL_ID));
        try {
            java.net.http.HttpResponse<String> res = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(stack.get().gateway("/anthropic/v1/messages")))
                    .header("x-api-key", devKey).header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""
                            {"model": "bedrock/claude-sonnet-4-5", "max_tokens": 100, "stream": true,
                             "messages": [{"role": "user", "content": "Say hello."}]}""")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode(), res.body());
            assertTrue(res.body().contains("\"text\":\"Hello\"") && res.body().contains("\"text\":\" from\""), "what arrived intact was relayed: " + res.body());
            assertTrue(res.body().contains("event: error"), res.body());
            assertTrue(res.body().contains("CRC"), "the client is told why: " + res.body());
            assertTrue(!res.body().contains("event: message_stop"), "the answer is not passed off as whole: " + res.body());
        } finally {
            stack.get().delete(stack.get().sim("/_sim/faults"));
        }
    }

    /** The real Claude Code on a Bedrock model: its Bash tool round trip, its thinking request as Bedrock's thinking field. */
    @Test
    void claudeCodeDoesABashRoundTripOnBedrock() throws Exception {
        Path home = Cli.home(stack.get(), "claude");
        Cli.Result result = Cli.run(List.of(Cli.claude().toString(), "-p", "--model", "bedrock/claude-sonnet-4-5", "--allowedTools=Bash", Cli.TOOL_PROMPT),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"), "ANTHROPIC_API_KEY", devKey,
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1", "CLAUDE_CODE_MAX_RETRIES", "0"),
                home);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the answer quotes the tool's output: " + result.all());

        // Claude Code hides a broken stream by retrying without streaming: only the upstream can tell.
        List<JsonNode> calls = SimRequests.to(stack.get(), "/converse-stream");
        assertEquals(2, calls.size(), "one turn asking for the tool, one with its result: " + SimRequests.all(stack.get()));
        calls.forEach(BedrockIT::assertSigned);
        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("toolConfig").toString().contains("\"Bash\""), "the Bash tool was offered upstream: " + first.path("toolConfig"));
        assertEquals("enabled", first.path("additionalModelRequestFields").path("thinking").path("type").asText(),
                "Claude Code's thinking request reaches Claude on Bedrock: " + first);
        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode result2 = messages.get(messages.size() - 1).path("content").get(0).path("toolResult");
        assertTrue(result2.toString().contains("tollgate-tool-ok"), "the second turn carries the command's output: " + messages);
    }

    /** A ValidationException (400) is not retried: the client gets a 400 of its own dialect naming Bedrock's error. */
    @Test
    void aValidationExceptionIsTheClientsBadRequest() throws Exception {
        stack.get().post(stack.get().sim("/_sim/faults"), """
                {"faults": [{"status": 400, "model": "MODEL_ID"}]}""".replace("MODEL_ID", MODEL_ID));
        try {
            com.anthropic.errors.BadRequestException e = assertThrows(com.anthropic.errors.BadRequestException.class,
                    () -> client().messages().create(params("bedrock/claude-sonnet-4-5").build()));
            assertTrue(e.getMessage().contains("answered HTTP 400: ValidationException: Simulated 400"), e.getMessage());
            assertEquals(1, SimRequests.to(stack.get(), "/converse-stream").size(), "a bad request is not retried: " + SimRequests.all(stack.get()));
        } finally {
            stack.get().delete(stack.get().sim("/_sim/faults"));
        }
    }
}
