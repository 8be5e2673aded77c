package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official openai-java SDK against the gateway process, which relays to the simulator. */
class OpenAiSdkIT {

    private static final String POLICY = """
            providers:
              - id: sim
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: sim/echo
                aliases: [demo]
                targets: [{provider: sim, model: echo}]
            """;

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("sdk", POLICY);

    private static OpenAIClient client() {
        return stack.openAi("tg-test-key");
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addSystemMessage("Be brief.").addUserMessage("Say hello.").build();
    }

    @Test
    void chatCompletion() {
        ChatCompletion completion = client().chat().completions().create(chat("sim/echo"));
        String text = completion.choices().getFirst().message().content().orElseThrow();
        assertTrue(text.startsWith("Hello from the Tollgate"), text);
        var usage = completion.usage().orElseThrow();
        assertEquals(text.split(" ").length, usage.completionTokens(), "the simulator counts one token per word");
        assertTrue(usage.promptTokens() > 0);
    }

    @Test
    void chatCompletionStreamWithoutAndWithUsage() {
        StringBuilder text = new StringBuilder();
        boolean sawUsage = false;
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat("demo"))) {
            for (ChatCompletionChunk chunk : stream.stream().toList()) {
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                sawUsage |= chunk.usage().isPresent();
            }
        }
        assertTrue(text.toString().startsWith("Hello from the Tollgate"), text.toString());
        assertFalse(sawUsage, "the usage chunk the gateway asked for is not shown to a client that did not ask");

        var withUsage = chat("demo").toBuilder()
                .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        long completionTokens = -1;
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(withUsage)) {
            for (ChatCompletionChunk chunk : stream.stream().toList()) {
                if (chunk.usage().isPresent()) {
                    completionTokens = chunk.usage().get().completionTokens();
                }
            }
        }
        assertEquals(text.toString().split(" ").length, completionTokens);
    }

    @Test
    void responses() {
        Response response = client().responses().create(ResponseCreateParams.builder().model("sim/echo").input("Say hello.").build());
        String text = response.output().stream()
                .flatMap(item -> item.message().stream())
                .flatMap(m -> m.content().stream())
                .flatMap(c -> c.outputText().stream())
                .map(t -> t.text())
                .findFirst().orElseThrow();
        assertTrue(text.startsWith("Hello from the Tollgate"), text);
        assertEquals(text.split(" ").length, response.usage().orElseThrow().outputTokens());
    }

    @Test
    void responsesStream() {
        StringBuilder deltas = new StringBuilder();
        Response completed = null;
        try (StreamResponse<ResponseStreamEvent> stream = client().responses().createStreaming(
                ResponseCreateParams.builder().model("sim/echo").input("Say hello.").build())) {
            for (ResponseStreamEvent event : stream.stream().toList()) {
                event.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
                if (event.isCompleted()) {
                    completed = event.asCompleted().response();
                }
            }
        }
        assertTrue(deltas.toString().startsWith("Hello from the Tollgate"), deltas.toString());
        assertTrue(completed != null, "response.completed arrived");
        assertTrue(completed.usage().orElseThrow().outputTokens() > 0);
    }

    @Test
    void embeddingsAndModels() {
        CreateEmbeddingResponse embeddings = client().embeddings().create(EmbeddingCreateParams.builder().model("sim/echo").input("hello").build());
        assertFalse(embeddings.data().getFirst().embedding().isEmpty());
        List<String> ids = client().models().list().items().stream().map(Model::id).toList();
        assertEquals(List.of("sim/echo"), ids);
    }

    @Test
    void errorsArriveAsTheSdksOwnExceptions() {
        NotFoundException unknown = assertThrows(NotFoundException.class, () -> client().chat().completions().create(chat("sim-echo")));
        assertTrue(unknown.getMessage().contains("Did you mean: sim/echo"), unknown.getMessage());
        assertEquals("model_not_found", unknown.code().orElseThrow());
        assertEquals("model", unknown.param().orElseThrow());
    }
}
