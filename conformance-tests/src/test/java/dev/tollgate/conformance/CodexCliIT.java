package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The real Codex CLI (pinned, from npm) through the gateway process to the simulator. */
class CodexCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = """
            providers:
              - id: sim
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
              - id: sim-gemini
                kind: gemini
                base_url: http://127.0.0.1:SIM_PORT/v1beta
              - id: sim-chat-only
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/chat-only/v1
                settings: {api: chat}
            models:
              - name: gpt-5.5
                targets: [{provider: sim, model: gpt-5.5}]
              - name: anthropic/claude-sonnet-4-5
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
              - name: gpt-6.1-sol
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
              - name: gemini/gemini-2.5-flash
                targets: [{provider: sim-gemini, model: gemini-2.5-flash}]
              - name: gemini/gemini-3-pro
                targets: [{provider: sim-gemini, model: gemini-3-pro}]
              - name: mistral-large
                targets: [{provider: sim-chat-only, model: mistral-large-latest}]
            """;

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("codex", POLICY).clearingSim(StackExtension.REQUESTS);

    private static Cli.Result codex(String model, List<String> config, Map<String, String> env) throws Exception {
        return Cli.codexExec(stack.get(), model, config, env, Cli.TOOL_PROMPT);
    }

    /** Codex with the gateway as its custom provider "gw". */
    private static Cli.Result codexViaGateway(String model) throws Exception {
        return codex(model, Cli.codexViaGateway(stack.get(), ""), Map.of("GW_API_KEY", "tg-test-key"));
    }

    /** What the simulator received on its Responses endpoint, oldest first. */
    private static List<JsonNode> responsesCalls() throws Exception {
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode r : JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body())) {
            if (r.path("path").asText().endsWith("/responses")) {
                calls.add(r);
            }
        }
        return calls;
    }

    private static void assertToolRoundTrip(Cli.Result result) throws Exception {
        assertEquals(0, result.exit(), result.all());
        List<JsonNode> calls = responsesCalls();
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + result.all());

        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("stream").asBoolean(), "Codex always streams");
        assertEquals("gpt-5.5", first.path("model").asText());
        assertTrue(first.has("internal_chat_message_metadata_passthrough") || first.toString().contains("internal_chat_message_metadata_passthrough")
                || first.has("client_metadata") || first.has("prompt_cache_key"), "Codex's non-standard fields pass through: " + first);

        JsonNode second = calls.get(1).path("body").path("input");
        JsonNode output = null;
        for (JsonNode item : second) {
            if ("function_call_output".equals(item.path("type").asText())) {
                output = item;
            }
        }
        assertTrue(output != null, "the second turn carries the tool's output: " + second);
        assertTrue(output.path("output").toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + output);
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
    }

    @Test
    void customProviderDoesAToolRoundTripThroughTheGateway() throws Exception {
        Cli.Result result = codexViaGateway("gpt-5.5");
        assertToolRoundTrip(result);
    }

    /** Codex speaks only the Responses API; the gateway translates to Anthropic Messages and back. */
    @Test
    void anthropicModelDoesAToolRoundTrip() throws Exception {
        Cli.Result result = codexViaGateway("anthropic/claude-sonnet-4-5");
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
        assertTrue(responsesCalls().isEmpty(), "nothing reached an OpenAI endpoint");

        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + SimRequests.all(stack.get()));
        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("stream").asBoolean());
        assertEquals("claude-sonnet-4-5", first.path("model").asText());
        assertTrue(first.path("system").get(0).path("text").asText().contains("Codex"), "Codex's developer message is the system prompt");
        assertTrue(first.path("tools").toString().contains("\"exec_command\""), "Codex's tools are offered: " + first.path("tools"));
        assertTrue(calls.get(0).path("headers").path("x-api-key").isMissingNode() && calls.get(0).path("headers").path("authorization").isMissingNode(),
                "the client's key never reaches the provider: " + calls.get(0).path("headers"));

        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode use = messages.get(messages.size() - 2).path("content");
        JsonNode result2 = messages.get(messages.size() - 1).path("content");
        assertEquals("tool_use", use.get(use.size() - 1).path("type").asText(), "the assistant turn ends with the call: " + messages);
        assertEquals("tool_result", result2.get(0).path("type").asText());
        assertEquals(use.get(use.size() - 1).path("id").asText(), result2.get(0).path("tool_use_id").asText());
        assertTrue(result2.get(0).toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + result2);
    }

    /**
     * Claude thinks before it calls a tool (signed thinking and redacted thinking, as the simulator
     * plays it) and refuses the next turn unless they come back unchanged. Codex knows nothing of
     * them: the gateway carries them in reasoning items Codex echoes, and restores them exactly.
     */
    @Test
    void claudesThinkingComesBackThroughCodexUnchanged() throws Exception {
        List<String> config = new ArrayList<>(Cli.codexViaGateway(stack.get(), ""));
        config.addAll(List.of("-c", "model_reasoning_effort=\"medium\""));
        Cli.Result result = codex("anthropic/claude-sonnet-4-5", config, Map.of("GW_API_KEY", "tg-test-key"));
        assertEquals(0, result.exit(), result.all());
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(2, calls.size(), SimRequests.all(stack.get()));
        assertEquals("enabled", calls.get(0).path("body").path("thinking").path("type").asText(),
                "Codex asked for reasoning: " + calls.get(0).path("body").path("thinking"));
        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode turn = messages.get(messages.size() - 2).path("content");
        assertEquals("thinking", turn.get(0).path("type").asText(), "the turn that called the tool starts with its thinking: " + turn);
        assertTrue(turn.get(0).path("signature").asText().startsWith("c2ltLXNpZw"), turn.toString());
        assertEquals("redacted_thinking", turn.get(1).path("type").asText(), turn.toString());
        assertEquals("tool_use", turn.get(2).path("type").asText(), turn.toString());
    }

    /**
     * A model name Codex knows gives its "responses-lite" shape: the tools arrive in an
     * additional_tools input item. The Anthropic upstream is offered them as ordinary tools.
     */
    @Test
    void responsesLiteOnAnAnthropicModel() throws Exception {
        Cli.Result result = codexViaGateway("gpt-6.1-sol");
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("Hello from the Tollgate provider simulator"), result.all());
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(1, calls.size(), SimRequests.all(stack.get()));
        JsonNode body = calls.get(0).path("body");
        List<String> tools = new ArrayList<>();
        body.path("tools").forEach(t -> tools.add(t.path("name").asText()));
        assertTrue(tools.contains("exec"), "Codex's custom exec tool from additional_tools: " + tools);
        assertEquals("string", body.path("tools").get(tools.indexOf("exec")).path("input_schema").path("properties").path("input").path("type").asText(),
                "a free-form tool takes one string");
        assertFalse(body.path("messages").toString().contains("additional_tools"));
    }

    /** The same round trip with Gemini upstream: functionCall out, functionResponse back. */
    @Test
    void geminiModelDoesAToolRoundTrip() throws Exception {
        Cli.Result result = codexViaGateway("gemini/gemini-2.5-flash");
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
        List<JsonNode> calls = SimRequests.to(stack.get(), ":streamGenerateContent");
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + SimRequests.all(stack.get()));
        assertTrue(calls.get(0).path("path").asText().contains("/models/gemini-2.5-flash:"));
        JsonNode contents = calls.get(1).path("body").path("contents");
        JsonNode call = contents.get(contents.size() - 2).path("parts").get(0).path("functionCall");
        JsonNode response = contents.get(contents.size() - 1).path("parts").get(0).path("functionResponse");
        assertEquals("exec_command", call.path("name").asText());
        assertEquals(call.path("id").asText(), response.path("id").asText());
        assertEquals("exec_command", response.path("name").asText(), "Gemini needs the function's name on its response");
        assertTrue(response.path("response").toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + response);
    }

    /**
     * Gemini 3 signs its function calls and refuses a history whose calls come back without their
     * signatures (the simulator does too). Codex knows nothing of them: the gateway carries each in
     * a reasoning item Codex echoes, and puts it back on its call.
     */
    @Test
    void gemini3GetsItsThoughtSignatureBackThroughCodex() throws Exception {
        Cli.Result result = codexViaGateway("gemini/gemini-3-pro");
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
        List<JsonNode> calls = SimRequests.to(stack.get(), ":streamGenerateContent");
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + SimRequests.all(stack.get()));
        JsonNode contents = calls.get(1).path("body").path("contents");
        JsonNode part = contents.get(contents.size() - 2).path("parts").get(0);
        String id = part.path("functionCall").path("id").asText();
        String issued = java.util.Base64.getEncoder().encodeToString(("sim-thought:" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(issued, part.path("thoughtSignature").asText(), "the very signature Gemini gave the call: " + part);
    }

    /** A vendor without a Responses endpoint: Codex's calls are translated to streamed chat completions, tools and all. */
    @Test
    void chatOnlyVendorDoesAToolRoundTrip() throws Exception {
        Cli.Result result = codexViaGateway("mistral-large");
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
        assertTrue(SimRequests.to(stack.get(), "/chat-only/v1/responses").isEmpty(), "nothing asked the vendor for /responses");
        List<JsonNode> calls = SimRequests.to(stack.get(), "/chat-only/v1/chat/completions");
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + SimRequests.all(stack.get()));
        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("stream").asBoolean(), "streamed upstream");
        assertEquals("mistral-large-latest", first.path("model").asText());
        assertTrue(first.path("tools").toString().contains("\"exec_command\""), "Codex's tools are offered as functions: " + first.path("tools"));
        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode call = messages.get(messages.size() - 2);
        JsonNode output = messages.get(messages.size() - 1);
        assertEquals("exec_command", call.path("tool_calls").get(0).path("function").path("name").asText(), messages.toString());
        assertEquals("tool", output.path("role").asText());
        assertEquals(call.path("tool_calls").get(0).path("id").asText(), output.path("tool_call_id").asText());
        assertTrue(output.path("content").asText().contains("tollgate-tool-ok"), "Codex really ran the command: " + output);
    }

    /** The built-in provider speaks the Responses WebSocket to the gateway (CodexWebSocketIT looks at the transport itself). */
    @Test
    void builtInProviderDoesAToolRoundTripWithoutFallingBack() throws Exception {
        Cli.Result result = codex("gpt-5.5", List.of("-c", "openai_base_url=\"http://127.0.0.1:" + stack.get().gatewayPort + "/openai\""),
                Map.of("CODEX_API_KEY", "tg-test-key"));
        assertToolRoundTrip(result);
        assertFalse(result.all().contains("failed to connect to Responses WebSocket"), "no fallback to HTTP: " + result.all());
        System.out.println("codex exec (built-in provider, tool round trip) took " + result.millis() + " ms");
    }
}
