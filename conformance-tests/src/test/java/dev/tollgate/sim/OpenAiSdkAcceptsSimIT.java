package dev.tollgate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseUsage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK accepts what the simulator sends, streaming and not. */
class OpenAiSdkAcceptsSimIT {
    static ProviderSim sim;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults());
        client = OpenAIOkHttpClient.builder().baseUrl(sim.baseUrl() + "/v1").apiKey("sk-test").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        sim.close();
    }

    @Test
    void chatCompletion() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4.1-mini").addUserMessage("hello there").build());
        assertEquals("Hello from the Tollgate provider simulator, all good.", c.choices().getFirst().message().content().orElseThrow());
        CompletionUsage u = c.usage().orElseThrow();
        assertEquals(3, u.promptTokens());
        assertEquals(8, u.completionTokens());
        assertEquals(11, u.totalTokens());
    }

    @Test
    void chatStreamWithUsage() {
        StringBuilder text = new StringBuilder();
        List<CompletionUsage> usages = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("gpt-4.1-mini").addUserMessage("hello there")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(usages::add);
            });
        }
        assertEquals("Hello from the Tollgate provider simulator, all good.", text.toString());
        assertEquals(1, usages.size());
        assertEquals(8, usages.getFirst().completionTokens());
    }

    @Test
    void responsesStream() {
        StringBuilder text = new StringBuilder();
        List<ResponseUsage> usages = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> s = client.responses().createStreaming(ResponseCreateParams.builder()
                .model("gpt-5").input("say hi").build())) {
            s.stream().forEach(e -> {
                e.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                e.completed().ifPresent(c -> c.response().usage().ifPresent(usages::add));
            });
        }
        assertEquals("Hello from the Tollgate provider simulator, all good.", text.toString());
        assertEquals(1, usages.size());
        assertEquals(2, usages.getFirst().inputTokens());
        assertEquals(8, usages.getFirst().outputTokens());
        assertTrue(usages.getFirst().totalTokens() == 10);
    }
}
