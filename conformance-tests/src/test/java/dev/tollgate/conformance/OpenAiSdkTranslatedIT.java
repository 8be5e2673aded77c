package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseStreamEvent;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official openai-java SDK on models of other formats: its strict parsers are the check that the
 * translated answers are well-formed chat completions and Responses, whole and streamed.
 */
class OpenAiSdkTranslatedIT {

    private static final String POLICY = """
            providers:
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
              - id: sim-gemini
                kind: gemini
                base_url: http://127.0.0.1:SIM_PORT/v1beta
              - id: sim-chat-only
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
                settings: {api: chat}
            models:
              - name: claude
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
              - name: gemini
                targets: [{provider: sim-gemini, model: gemini-2.5-flash}]
              - name: chat-only
                targets: [{provider: sim-chat-only, model: gpt-4.1}]
            """;
    private static final String HELLO = "Hello from the Tollgate provider simulator, all good.";

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("sdk-translated", POLICY);

    private static OpenAIClient client() {
        return stack.openAi("tg-test-key");
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addSystemMessage("Be brief.").addUserMessage("Say hello.").build();
    }

    private static FunctionParameters shellParameters() {
        return FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("cmd", Map.of("type", "string"))))
                .build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "gemini"})
    void chatCompletion(String model) {
        ChatCompletion completion = client().chat().completions().create(chat(model));
        assertEquals(HELLO, completion.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().getFirst().finishReason());
        assertEquals(8, completion.usage().orElseThrow().completionTokens());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "gemini"})
    void chatStreamShowsUsageOnlyWhenAsked(String model) {
        StringBuilder text = new StringBuilder();
        boolean sawUsage = false;
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat(model))) {
            for (ChatCompletionChunk chunk : stream.stream().toList()) {
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                sawUsage |= chunk.usage().isPresent();
            }
        }
        assertEquals(HELLO, text.toString());
        assertFalse(sawUsage);
        long tokens = -1;
        var withUsage = chat(model).toBuilder().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(withUsage)) {
            for (ChatCompletionChunk chunk : stream.stream().toList()) {
                if (chunk.usage().isPresent()) {
                    tokens = chunk.usage().get().completionTokens();
                }
            }
        }
        assertEquals(8, tokens);
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "gemini"})
    void chatToolCall(String model) {
        ChatCompletion completion = client().chat().completions().create(chat(model).toBuilder()
                .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("exec_command")
                        .parameters(shellParameters()).build()).build())
                .build());
        var call = completion.choices().getFirst().message().toolCalls().orElseThrow().getFirst().asFunction();
        assertEquals("exec_command", call.function().name());
        assertTrue(call.function().arguments().contains("echo tollgate-tool-ok"), call.function().arguments());
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, completion.choices().getFirst().finishReason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "gemini", "chat-only"})
    void responses(String model) {
        Response response = client().responses().create(ResponseCreateParams.builder().model(model).instructions("Be brief.").input("Say hello.").build());
        String text = response.output().stream().flatMap(i -> i.message().stream()).flatMap(m -> m.content().stream())
                .flatMap(c -> c.outputText().stream()).map(t -> t.text()).findFirst().orElseThrow();
        assertEquals(HELLO, text);
        assertEquals(8, response.usage().orElseThrow().outputTokens());
        assertEquals(model, response.model().asString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "gemini", "chat-only"})
    void responsesStreamWithAToolCall(String model) {
        ResponseFunctionToolCall call = null;
        Response completed = null;
        try (StreamResponse<ResponseStreamEvent> stream = client().responses().createStreaming(ResponseCreateParams.builder()
                .model(model).input("Run echo.")
                .addTool(FunctionTool.builder().name("exec_command").parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("cmd", Map.of("type", "string")))).build())
                        .strict(false).build())
                .build())) {
            for (ResponseStreamEvent event : stream.stream().toList()) {
                if (event.isOutputItemDone() && event.asOutputItemDone().item().isFunctionCall()) {
                    call = event.asOutputItemDone().item().asFunctionCall();
                }
                if (event.isCompleted()) {
                    completed = event.asCompleted().response();
                }
            }
        }
        assertTrue(call != null, "output_item.done carried the call");
        assertEquals("exec_command", call.name());
        assertEquals("{\"cmd\":\"echo tollgate-tool-ok\"}", call.arguments());
        assertTrue(completed != null, "response.completed arrived");
        assertEquals(call.callId(), completed.output().getFirst().asFunctionCall().callId());
        assertTrue(completed.usage().orElseThrow().inputTokens() > 0);
    }
}
