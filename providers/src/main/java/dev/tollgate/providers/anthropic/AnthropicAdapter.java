package dev.tollgate.providers.anthropic;

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

/** Anthropic's Messages API: every client but an embedding one, translated when it speaks another format. */
public final class AnthropicAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("anthropic");
    static final Setting VERSION = Setting.text("anthropic-version",
            "the anthropic-version header when the client sends none, default " + AnthropicNative.DEFAULT_VERSION);

    @Override
    public ProviderKind kind() {
        return KIND;
    }

    @Override
    public List<Setting> settings() {
        return CommonSettings.with(VERSION, CacheBreakpoints.TTL);
    }

    @Override
    public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.MESSAGES);
    }

    @Override
    public UpstreamRequest request(Outbound call) {
        return AnthropicNative.prepare(call.provider(), call.secret(), "messages", call.model(), CacheBreakpoints.on(call), call.passHeaders());
    }

    /** Anthropic counts an Anthropic client's tokens itself. */
    @Override
    public Optional<UpstreamRequest> countTokens(Outbound call) {
        return call.api() != Api.MESSAGES ? Optional.empty() : Optional.of(AnthropicNative.prepare(call.provider(), call.secret(),
                "messages/count_tokens", call.model(), call.body(), call.passHeaders()));
    }
}
