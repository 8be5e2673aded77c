package dev.tollgate.providers.azure;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.CommonSettings;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.openai.OpenAiFamily;
import dev.tollgate.providers.upstream.PathSegment;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Azure OpenAI: the {@code api-key} header, {@code api-version} on every URL, chat and embeddings at
 * the deployment's URL (the model name is the deployment), Responses at the resource's.
 */
public final class AzureOpenAiAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("azure-openai");
    public static final String DEFAULT_API_VERSION = "2024-10-21";
    static final Setting API_VERSION = Setting.text("api-version", "Azure's API version, default " + DEFAULT_API_VERSION);

    @Override
    public ProviderKind kind() {
        return KIND;
    }

    @Override
    public List<Setting> settings() {
        return CommonSettings.with(OpenAiFamily.API, API_VERSION);
    }

    @Override
    public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return OpenAiFamily.upstreamApi(OpenAiFamily.speaks(provider, java.util.Set.of(Api.RESPONSES, Api.CHAT_COMPLETIONS)), client, Api.RESPONSES, true);
    }

    @Override
    public UpstreamRequest request(Outbound call) {
        Provider provider = call.provider();
        String version = PathSegment.encode(provider.settings().getOrDefault(API_VERSION.name(), DEFAULT_API_VERSION));
        String url = call.api() == Api.RESPONSES || call.api() == Api.RESPONSES_COMPACT
                ? provider.baseUrl() + "/openai/" + call.api().path() + "?api-version=" + version
                : provider.baseUrl() + "/openai/deployments/" + PathSegment.encode(call.model()) + "/" + call.api().path() + "?api-version=" + version;
        return OpenAiFamily.request(call, UpstreamRequest.uri(url), call.secret().map(s -> Map.entry("api-key", s)));
    }
}
