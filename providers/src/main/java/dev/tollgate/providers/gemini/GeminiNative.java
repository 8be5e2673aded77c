package dev.tollgate.providers.gemini;

import dev.tollgate.policy.Provider;
import dev.tollgate.providers.upstream.PathSegment;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Requests for Google AI Studio's Gemini API: {@code x-goog-api-key}, the model and method in the
 * path. The base URL ends in {@code /v1beta} (https://generativelanguage.googleapis.com/v1beta).
 */
public final class GeminiNative {

    private GeminiNative() {
    }

    /** @param method generateContent, streamGenerateContent (sent with alt=sse) or countTokens */
    public static UpstreamRequest prepare(Provider provider, Optional<String> secret, String upstreamModel, String method, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.putAll(provider.headers());
        secret.ifPresent(s -> headers.put("x-goog-api-key", s));
        String query = method.equals("streamGenerateContent") ? "?alt=sse" : "";
        return new UpstreamRequest(UpstreamRequest.uri(provider.baseUrl() + "/models/" + PathSegment.encode(upstreamModel) + ":" + method + query), headers, body);
    }
}
