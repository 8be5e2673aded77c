package dev.tollgate.providers.vertex;

import dev.tollgate.policy.Provider;

import dev.tollgate.providers.anthropic.AnthropicBetas;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.PathSegment;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Requests for Vertex AI: {@code Authorization: Bearer} with an OAuth access token, the model under
 * its publisher in the path. Gemini bodies are the Gemini API's as they are; Claude bodies are
 * Anthropic Messages with the model in the path rather than the body and a Vertex
 * {@code anthropic_version}.
 */
public final class VertexNative {

    public static final String ANTHROPIC_VERSION = "vertex-2023-10-16";

    private VertexNative() {
    }

    /** {@code {base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}} */
    public static URI uri(Provider provider, VertexAdapter.Publisher publisher, String model, String method) {
        String query = method.equals("streamGenerateContent") ? "?alt=sse" : "";
        return UpstreamRequest.uri(provider.baseUrl() + "/v1/projects/" + PathSegment.encode(provider.settings().get(VertexAdapter.PROJECT.name()))
                + "/locations/" + PathSegment.encode(provider.settings().get(VertexAdapter.LOCATION.name()))
                + "/publishers/" + publisher.id() + "/models/" + PathSegment.encode(model) + ":" + method + query);
    }

    /** A Gemini call: the body goes up untouched. */
    public static UpstreamRequest gemini(Provider provider, String accessToken, String model, boolean stream, byte[] body) {
        return new UpstreamRequest(uri(provider, VertexAdapter.Publisher.GOOGLE, model, stream ? "streamGenerateContent" : "generateContent"),
                headers(provider, accessToken, Map.of()), body);
    }

    /**
     * A Claude call: only {@code model} (it is in the path) and {@code anthropic_version} change in
     * the body; the client's {@code anthropic-beta} header goes along with the values Vertex takes ({@link AnthropicBetas}).
     */
    public static UpstreamRequest claude(Provider provider, String accessToken, String model, boolean stream, JsonBody body,
                                         Map<String, String> passHeaders) {
        Map<String, String> pass = new LinkedHashMap<>();
        // Vertex refuses the whole request for one beta it does not know: only those it takes go along.
        String beta = AnthropicBetas.filter(passHeaders.get("anthropic-beta"), AnthropicBetas.VERTEX).header();
        if (beta != null) {
            pass.put("anthropic-beta", beta);
        }
        return new UpstreamRequest(uri(provider, VertexAdapter.Publisher.ANTHROPIC, model, stream ? "streamRawPredict" : "rawPredict"),
                headers(provider, accessToken, pass), claudeBody(body));
    }

    static byte[] claudeBody(JsonBody body) {
        return body.edit(Map.of("anthropic_version", JsonBody.quote(ANTHROPIC_VERSION)), Set.of("model"));
    }

    private static Map<String, String> headers(Provider provider, String accessToken, Map<String, String> pass) {
        Map<String, String> headers = new LinkedHashMap<>(pass);
        headers.put("content-type", "application/json");
        headers.putAll(provider.headers());
        headers.put("authorization", "Bearer " + accessToken);
        return headers;
    }
}
