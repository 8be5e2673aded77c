package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.NotFoundException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolUseBlock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official anthropic-java SDK against the gateway's Anthropic surface: an Anthropic model (bytes
 * pass through) and OpenAI-format models (translated), each streamed and not.
 */
class AnthropicSdkIT {

    private static final String POLICY = """
            providers:
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
              - id: sim-responses
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
                settings: {api: responses}
              - id: sim-chat
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: claude-sonnet-4-5
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
              - name: gpt-5.5
                targets: [{provider: sim-responses, model: gpt-5.5}]
              - name: gpt-4.1
                targets: [{provider: sim-chat, model: gpt-4.1}]
            """;
    private static final String HELLO = "Hello from the Tollgate provider simulator, all good.";

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("anthropic-sdk", POLICY);

    private static AnthropicClient client() {
        return stack.anthropic("tg-test-key");
    }

    private static MessageCreateParams.Builder params(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(1024).system("Be brief.").addUserMessage("Say hello.");
    }

    private static Tool bash() {
        return Tool.builder().name("Bash").description("Runs a shell command.")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(JsonValue.from(Map.of("command", Map.of("type", "string"))))
                        .required(List.of("command"))
                        .build())
                .build();
    }

    private static String text(Message m) {
        return m.content().stream().flatMap(b -> b.text().stream()).map(t -> t.text()).collect(Collectors.joining());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude-sonnet-4-5", "gpt-5.5", "gpt-4.1"})
    void message(String model) {
        Message m = client().messages().create(params(model).build());
        assertEquals(HELLO, text(m));
        assertEquals(StopReason.END_TURN, m.stopReason().orElseThrow());
        assertEquals(8, m.usage().outputTokens(), "the simulator counts one token per word");
        assertTrue(m.usage().inputTokens() > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude-sonnet-4-5", "gpt-5.5", "gpt-4.1"})
    void streamedMessage(String model) {
        MessageAccumulator acc = MessageAccumulator.create();
        int deltas = 0;
        try (StreamResponse<RawMessageStreamEvent> stream = client().messages().createStreaming(params(model).build())) {
            for (RawMessageStreamEvent e : stream.stream().toList()) {
                acc.accumulate(e);
                deltas += e.contentBlockDelta().isPresent() ? 1 : 0;
            }
        }
        Message m = acc.message();
        assertEquals(HELLO, text(m));
        assertEquals(8, deltas, "one delta per token, as the upstream sent them");
        assertEquals(StopReason.END_TURN, m.stopReason().orElseThrow());
        assertEquals(8, m.usage().outputTokens());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude-sonnet-4-5", "gpt-5.5", "gpt-4.1"})
    void streamedToolUse(String model) {
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client().messages().createStreaming(params(model).addTool(bash()).build())) {
            stream.stream().forEach(acc::accumulate);
        }
        Message m = acc.message();
        assertEquals(StopReason.TOOL_USE, m.stopReason().orElseThrow());
        ToolUseBlock use = m.content().stream().flatMap(b -> b.toolUse().stream()).findFirst().orElseThrow();
        assertEquals("Bash", use.name());
        Map<?, ?> input = (Map<?, ?>) use._input().asObject().orElseThrow();
        assertEquals("echo tollgate-tool-ok", ((JsonValue) input.get("command")).asString().orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude-sonnet-4-5", "gpt-5.5"})
    void toolUseWhole(String model) {
        Message m = client().messages().create(params(model).addTool(bash()).build());
        assertEquals(StopReason.TOOL_USE, m.stopReason().orElseThrow());
        ContentBlock block = m.content().getFirst();
        assertEquals("Bash", block.toolUse().orElseThrow().name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude-sonnet-4-5", "gpt-5.5"})
    void countTokens(String model) {
        long tokens = client().messages().countTokens(MessageCountTokensParams.builder().model(model).addUserMessage("Say hello.").build()).inputTokens();
        assertTrue(tokens > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"no-such-model"})
    void unknownModelIsAnAnthropicError(String model) {
        NotFoundException e = assertThrows(NotFoundException.class, () -> client().messages().create(params(model).build()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
