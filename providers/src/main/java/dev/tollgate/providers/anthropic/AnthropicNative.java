package dev.tollgate.providers.anthropic;

import dev.tollgate.policy.Provider;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Requests for Anthropic's own API: {@code x-api-key}, {@code anthropic-version}, the body as it came
 * but for the model name. The base URL ends in {@code /v1} (https://api.anthropic.com/v1).
 */
public final class AnthropicNative {

    public static final String DEFAULT_VERSION = "2023-06-01";

    private AnthropicNative() {
    }

    /**
     * @param path        "messages" or "messages/count_tokens"
     * @param passHeaders client headers the upstream may see (anthropic-version, anthropic-beta from Anthropic clients)
     */
    public static UpstreamRequest prepare(Provider provider, Optional<String> secret, String path, String upstreamModel,
                                          JsonBody body, Map<String, String> passHeaders) {
        Map<String, String> headers = new LinkedHashMap<>(passHeaders);
        headers.put("content-type", "application/json");
        headers.putIfAbsent("anthropic-version", provider.settings().getOrDefault(AnthropicAdapter.VERSION.name(), DEFAULT_VERSION));
        headers.putAll(provider.headers());
        secret.ifPresent(s -> headers.put("x-api-key", s));
        return new UpstreamRequest(UpstreamRequest.uri(provider.baseUrl() + "/" + path), headers,
                body.with(Map.of("model", JsonBody.quote(upstreamModel))));
    }
}
