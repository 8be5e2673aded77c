package dev.tollgate.providers.compatible;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.policy.Provider;
import dev.tollgate.providers.Api;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which of OpenAI's two chat APIs a compatible server is called with, by its setting or its vendor. */
class OpenAiCompatibleAdapterTest {

    private static Optional<Api> upstream(String base, Map<String, String> settings, Api client) {
        Provider p = new Provider("p", OpenAiCompatibleAdapter.KIND, URI.create(base), List.of(), Map.of(), settings, Provider.Timeouts.DEFAULT);
        return new OpenAiCompatibleAdapter().upstreamApi(p, "m", client);
    }

    @Test
    void codexOnAChatOnlyVendorIsTranslatedToChat() {
        for (String base : List.of("https://api.mistral.ai/v1", "https://api.groq.com/openai/v1", "https://api.deepseek.com",
                "https://api.together.xyz/v1", "https://api.fireworks.ai/inference/v1", "https://openrouter.ai/api/v1",
                "https://API.MISTRAL.AI/v1")) {
            assertEquals(Optional.of(Api.CHAT_COMPLETIONS), upstream(base, Map.of(), Api.RESPONSES), base);
            assertEquals(Optional.of(Api.CHAT_COMPLETIONS), upstream(base, Map.of(), Api.CHAT_COMPLETIONS), base);
            assertEquals(Optional.of(Api.CHAT_COMPLETIONS), upstream(base, Map.of(), Api.MESSAGES), base);
        }
        assertEquals(Optional.of(Api.CHAT_COMPLETIONS), upstream("https://notmistral.ai/v1", Map.of(), Api.CHAT_COMPLETIONS));
        assertEquals(Optional.of(Api.RESPONSES), upstream("https://notmistral.ai/v1", Map.of(), Api.RESPONSES),
                "a look-alike host is not the vendor");
    }

    @Test
    void aServerOfYourOwnSpeaksBothUnlessItsSettingSaysOtherwise() {
        assertEquals(Optional.of(Api.RESPONSES), upstream("http://127.0.0.1:8000/v1", Map.of(), Api.RESPONSES));
        assertEquals(Optional.of(Api.CHAT_COMPLETIONS), upstream("http://127.0.0.1:8000/v1", Map.of(), Api.MESSAGES));
        assertEquals(Optional.of(Api.CHAT_COMPLETIONS), upstream("http://127.0.0.1:8000/v1", Map.of("api", "chat"), Api.RESPONSES));
        assertEquals(Optional.of(Api.RESPONSES), upstream("http://127.0.0.1:8000/v1", Map.of("api", "responses"), Api.CHAT_COMPLETIONS));
        assertEquals(Optional.of(Api.RESPONSES), upstream("https://api.groq.com/openai/v1", Map.of("api", "chat,responses"), Api.RESPONSES),
                "the setting overrides the vendor's default");
        assertEquals(Optional.of(Api.EMBEDDINGS), upstream("https://api.mistral.ai/v1", Map.of(), Api.EMBEDDINGS));
    }
}
