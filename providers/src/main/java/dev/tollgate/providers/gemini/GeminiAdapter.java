package dev.tollgate.providers.gemini;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.CommonSettings;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.List;
import java.util.Optional;

/** Google AI Studio's Gemini API: every client but an embedding one; translated calls always stream. */
public final class GeminiAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("gemini");

    @Override
    public ProviderKind kind() {
        return KIND;
    }

    @Override
    public List<Setting> settings() {
        return CommonSettings.with();
    }

    @Override
    public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.GEMINI);
    }

    @Override
    public UpstreamRequest request(Outbound call) {
        return GeminiNative.prepare(call.provider(), call.secret(), call.model(), call.stream() ? "streamGenerateContent" : "generateContent",
                call.body().bytes());
    }

    /** Gemini counts a Gemini client's tokens itself. */
    @Override
    public Optional<UpstreamRequest> countTokens(Outbound call) {
        return call.api() != Api.GEMINI ? Optional.empty()
                : Optional.of(GeminiNative.prepare(call.provider(), call.secret(), call.model(), "countTokens", call.body().bytes()));
    }
}
