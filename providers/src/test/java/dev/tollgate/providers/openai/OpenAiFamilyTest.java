package dev.tollgate.providers.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.providers.azure.AzureOpenAiAdapter;
import dev.tollgate.providers.compatible.OpenAiCompatibleAdapter;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OpenAiFamilyTest {

    /** An adapter's request for a passthrough call; {@code askForUsage} makes it a chat stream whose client did not ask for usage. */
    private static UpstreamRequest request(Adapter adapter, Provider provider, Optional<String> secret, Api api, String model, JsonBody body,
                                           boolean askForUsage, Map<String, String> pass) {
        try {
            return adapter.request(new Outbound(provider, "env:TEST_KEY", secret, model, api, askForUsage, body, true, pass));
        } catch (AdapterException e) {
            throw new AssertionError(e);
        }
    }

    private static Provider provider(ProviderKind kind, String base, Map<String, String> settings) {
        return new Provider("p", kind, URI.create(base), List.of(), Map.of("x-extra", "1"), settings, Provider.Timeouts.DEFAULT);
    }

    private static JsonBody body(String json) throws Exception {
        return JsonBody.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void openAiGetsBearerAuthAndTheUpstreamModelName() throws Exception {
        UpstreamRequest r = request(new OpenAiAdapter(), provider(OpenAiAdapter.KIND, "https://api.openai.com/v1", Map.of()),
                Optional.of("secret"), Api.RESPONSES, "gpt-5", body("{\"model\":\"openai/gpt-5\",\"x_unknown\":[1]}"),
                false, Map.of("openai-beta", "b"));
        assertEquals("https://api.openai.com/v1/responses", r.uri().toString());
        assertEquals("Bearer secret", r.headers().get("authorization"));
        assertEquals("b", r.headers().get("openai-beta"));
        assertEquals("1", r.headers().get("x-extra"));
        assertEquals("{\"model\":\"gpt-5\",\"x_unknown\":[1]}", new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test
    void azureUsesDeploymentUrlsApiVersionAndApiKeyHeader() throws Exception {
        UpstreamRequest r = request(new AzureOpenAiAdapter(), provider(AzureOpenAiAdapter.KIND, "https://x.openai.azure.com", Map.of("api-version", "2025-01-01")),
                Optional.of("k"), Api.CHAT_COMPLETIONS, "my-deploy", body("{\"model\":\"gpt\",\"stream\":true}"), true, Map.of());
        assertEquals("https://x.openai.azure.com/openai/deployments/my-deploy/chat/completions?api-version=2025-01-01", r.uri().toString());
        assertEquals("k", r.headers().get("api-key"));
        assertFalse(r.headers().containsKey("authorization"));
        assertEquals("{\"model\":\"my-deploy\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test
    void keepsTheClientsOwnStreamOptions() throws Exception {
        UpstreamRequest r = request(new OpenAiCompatibleAdapter(), provider(OpenAiCompatibleAdapter.KIND, "http://127.0.0.1:1/v1", Map.of()),
                Optional.empty(), Api.CHAT_COMPLETIONS, "m", body("{\"model\":\"m\",\"stream_options\":{\"x\":1}}"), true, Map.of());
        assertEquals("{\"model\":\"m\",\"stream_options\":{\"x\":1,\"include_usage\":true}}", new String(r.body(), StandardCharsets.UTF_8));
        assertFalse(r.headers().containsKey("authorization"));
    }
}
