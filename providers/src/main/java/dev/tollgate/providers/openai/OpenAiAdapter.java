package dev.tollgate.providers.openai;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** OpenAI's own API: {@code Authorization: Bearer}, the base URL ending in {@code /v1}. Other clients get Responses. */
public class OpenAiAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("openai");

    private final ProviderKind kind;
    private final Api otherClients;

    public OpenAiAdapter() {
        this(KIND, Api.RESPONSES);
    }

    /**
     * A server at its own base URL that speaks OpenAI's API with a Bearer key.
     *
     * @param otherClients the API non-OpenAI clients (Anthropic, Gemini) are translated to
     */
    protected OpenAiAdapter(ProviderKind kind, Api otherClients) {
        this.kind = kind;
        this.otherClients = otherClients;
    }

    @Override
    public final ProviderKind kind() {
        return kind;
    }

    @Override
    public final List<Setting> settings() {
        return OpenAiFamily.SETTINGS;
    }

    @Override
    public final Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return OpenAiFamily.upstreamApi(OpenAiFamily.speaks(provider, speaksByDefault(provider)), client, otherClients, OpenAiFamily.compacts(provider));
    }

    /** The chat APIs a provider of this kind speaks when its {@code settings.api} does not say: OpenAI's, both. */
    protected Set<Api> speaksByDefault(Provider provider) {
        return BOTH;
    }

    private static final Set<Api> BOTH = Set.of(Api.RESPONSES, Api.CHAT_COMPLETIONS);

    @Override
    public final UpstreamRequest request(Outbound call) {
        return OpenAiFamily.bearerRequest(call);
    }
}
