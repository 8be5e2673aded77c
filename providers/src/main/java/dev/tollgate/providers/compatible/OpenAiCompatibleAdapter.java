package dev.tollgate.providers.compatible;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.openai.OpenAiAdapter;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Anything speaking OpenAI's API at its own base URL (Groq, Mistral, Cerebras, xAI, DeepSeek, Ollama,
 * vLLM, ...): OpenAI's adapter, except that other clients get chat completions, which all of them
 * speak, and that the common vendors' hosts are known to speak only chat completions (Codex's
 * Responses calls are then translated), unless {@code settings.api} says otherwise.
 */
public final class OpenAiCompatibleAdapter extends OpenAiAdapter {

    public static final ProviderKind KIND = ProviderKind.of("openai-compatible");

    private static final Set<Api> CHAT = Set.of(Api.CHAT_COMPLETIONS);
    private static final Set<Api> BOTH = Set.of(Api.CHAT_COMPLETIONS, Api.RESPONSES);

    /**
     * Hosts (and their subdomains) of vendors whose documented API is chat completions. Some offer a
     * Responses endpoint in beta (Groq, OpenRouter, Fireworks, Ollama's cloud), but without the
     * free-form and hosted tools Codex sends, so chat, with the gateway translating, is what works;
     * {@code api: [chat, responses]} opts in.
     */
    static final Map<String, Set<Api>> KNOWN = Map.ofEntries(
            Map.entry("mistral.ai", CHAT),
            Map.entry("groq.com", CHAT),
            Map.entry("deepseek.com", CHAT),
            Map.entry("together.xyz", CHAT),
            Map.entry("together.ai", CHAT),
            Map.entry("fireworks.ai", CHAT),
            Map.entry("openrouter.ai", CHAT),
            Map.entry("cerebras.ai", CHAT),
            Map.entry("perplexity.ai", CHAT),
            Map.entry("ollama.com", CHAT));

    public OpenAiCompatibleAdapter() {
        super(KIND, Api.CHAT_COMPLETIONS);
    }

    /** By the base URL's host; a host not known (a vLLM or Ollama of your own, xAI) is taken to speak both. */
    @Override
    protected Set<Api> speaksByDefault(Provider provider) {
        return byHost(provider.baseUrl() == null ? null : provider.baseUrl().getHost());
    }

    static Set<Api> byHost(String host) {
        if (host == null) {
            return BOTH;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (var known : KNOWN.entrySet()) {
            if (h.equals(known.getKey()) || h.endsWith("." + known.getKey())) {
                return known.getValue();
            }
        }
        return BOTH;
    }
}
