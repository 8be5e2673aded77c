package dev.tollgate.providers.compatible;

import dev.tollgate.policy.ProviderKind;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.openai.OpenAiAdapter;

/**
 * Anything speaking OpenAI's API at its own base URL (Groq, Mistral, Cerebras, xAI, DeepSeek, Ollama,
 * vLLM, ...): OpenAI's adapter, except that other clients get chat completions, which all of them speak.
 */
public final class OpenAiCompatibleAdapter extends OpenAiAdapter {

    public static final ProviderKind KIND = ProviderKind.of("openai-compatible");

    public OpenAiCompatibleAdapter() {
        super(KIND, Api.CHAT_COMPLETIONS);
    }
}
