package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real Claude Code (pinned, from npm) through the gateway's Anthropic surface, on OpenAI-format
 * models: the simulator answers in the Responses API or in chat completions.
 */
class ClaudeCodeIT {

    private static final String POLICY = """
            providers:
              - id: sim-responses
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
                settings: {api: responses}
              - id: sim-chat
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
                settings: {api: chat, reasoning: "off"}
            models:
              - name: gpt-5.5
                targets: [{provider: sim-responses, model: gpt-5.5}]
              - name: gpt-4.1
                targets: [{provider: sim-chat, model: gpt-4.1}]
            """;

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("claude", POLICY).clearingSim(StackExtension.REQUESTS);

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"gpt-5.5, /v1/responses", "gpt-4.1, /v1/chat/completions"})
    void bashToolRoundTripOnAnOpenAiModel(String model, String upstreamPath) throws Exception {
        Path home = Cli.home(stack.get(), "claude");
        Cli.Result result = Cli.run(List.of(Cli.claude().toString(), "-p", "--model", model, "--allowedTools=Bash", Cli.TOOL_PROMPT),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"),
                        "ANTHROPIC_API_KEY", "tg-test-key",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1",
                        "CLAUDE_CODE_MAX_RETRIES", "0"),
                home);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the answer quotes the tool's output: " + result.all());

        // Claude Code hides a broken stream by retrying without streaming: only the upstream can tell.
        List<JsonNode> calls = SimRequests.to(stack.get(), upstreamPath);
        assertEquals(2, calls.size(), "one turn asking for the tool, one with its result: " + SimRequests.all(stack.get()));
        for (JsonNode call : calls) {
            assertTrue(call.path("body").path("stream").asBoolean(), "every upstream call streamed: " + call);
            assertEquals(model, call.path("body").path("model").asText());
        }
        String first = calls.get(0).path("body").toString();
        // Claude Code asks for adaptive thinking: an effort upstream, unless the provider says its models refuse it.
        if (upstreamPath.endsWith("responses")) {
            assertTrue(calls.get(0).path("body").path("reasoning").has("effort"), first);
        } else {
            assertTrue(calls.get(0).path("body").path("reasoning_effort").isMissingNode(), "settings.reasoning: off: " + first);
        }
        assertTrue(first.contains("\"Bash\""), "the Bash tool was offered upstream: " + first);
        String second = calls.get(1).path("body").toString();
        assertTrue(second.contains("tollgate-tool-ok"), "the second turn carries the command's output: " + second);
        assertTrue(upstreamPath.endsWith("responses") ? second.contains("function_call_output") : second.contains("\"role\":\"tool\""),
                "the tool result in the upstream's own shape: " + second);
    }
}
