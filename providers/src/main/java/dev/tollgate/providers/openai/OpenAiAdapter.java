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

/** OpenAI's own API: {@code Authorization: Bearer}, the base URL ending in {@code /v1}. Other clients get Responses. */
public final class OpenAiAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("openai");

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
        return OpenAiFamily.upstreamApi(provider, client, Api.RESPONSES);
    }

    @Override
    public UpstreamRequest request(Outbound call) {
        return OpenAiFamily.bearerRequest(call);
    }
}
