package dev.tollgate.providers.compatible;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.openai.OpenAiFamily;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.List;
import java.util.Optional;

/**
 * Anything speaking OpenAI's API at its own base URL (Groq, Mistral, Cerebras, xAI, DeepSeek, Ollama,
 * vLLM, ...): {@code Authorization: Bearer}; other clients get chat completions, which all of them speak.
 */
public final class OpenAiCompatibleAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("openai-compatible");

    @Override
    public ProviderKind kind() {
        return KIND;
    }

    @Override
    public List<Setting> settings() {
        return OpenAiFamily.SETTINGS;
    }

    @Override
    public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return OpenAiFamily.upstreamApi(provider, client, Api.CHAT_COMPLETIONS);
    }

    @Override
    public UpstreamRequest request(Outbound call) {
        return OpenAiFamily.bearerRequest(call);
    }
}
