package dev.tollgate.providers.openai;

import dev.tollgate.policy.Provider;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.PathSegment;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Requests for providers that speak OpenAI's wire format: OpenAI itself, Azure OpenAI (deployment
 * URLs, {@code api-version}, {@code api-key} header) and any OpenAI-compatible server by base URL.
 * The client's body goes up as it came, but for the model name and, on a chat stream, a request for
 * the usage chunk the gateway needs to price the call.
 */
public final class OpenAiFamily {

    private static final byte[] INCLUDE_USAGE = "{\"include_usage\":true}".getBytes(StandardCharsets.US_ASCII);
    public static final String DEFAULT_AZURE_API_VERSION = "2024-10-21";

    private OpenAiFamily() {
    }

    /**
     * @param askForUsage add {@code stream_options.include_usage} (the caller hides the extra chunk)
     */
    public static UpstreamRequest prepare(Provider provider, Optional<String> secret, Api api, String upstreamModel,
                                          JsonBody body, boolean askForUsage, Map<String, String> passHeaders) {
        Map<String, byte[]> edits = new HashMap<>(2);
        edits.put("model", JsonBody.quote(upstreamModel));
        if (askForUsage) {
            edits.put("stream_options", withIncludeUsage(body));
        }
        Map<String, String> headers = new LinkedHashMap<>(passHeaders);
        headers.put("content-type", "application/json");
        headers.putAll(provider.headers());
        URI uri = switch (provider.kind()) {
            case OPENAI, OPENAI_COMPATIBLE -> {
                secret.ifPresent(s -> headers.put("authorization", "Bearer " + s));
                yield UpstreamRequest.uri(provider.baseUrl() + "/" + api.path());
            }
            case AZURE_OPENAI -> {
                secret.ifPresent(s -> headers.put("api-key", s));
                String version = PathSegment.encode(provider.settings().getOrDefault("api-version", DEFAULT_AZURE_API_VERSION));
                yield UpstreamRequest.uri(api == Api.RESPONSES
                        ? provider.baseUrl() + "/openai/responses?api-version=" + version
                        : provider.baseUrl() + "/openai/deployments/" + PathSegment.encode(upstreamModel) + "/" + api.path() + "?api-version=" + version);
            }
            case ANTHROPIC, GEMINI, BEDROCK, VERTEX -> throw new IllegalArgumentException(provider.kind().id() + " is not an OpenAI-format provider");
        };
        return new UpstreamRequest(uri, headers, body.with(edits));
    }

    /** Keeps whatever else the client put in {@code stream_options}. */
    private static byte[] withIncludeUsage(JsonBody body) {
        var existing = body.node("stream_options");
        if (existing == null || !existing.isObject()) {
            return INCLUDE_USAGE;
        }
        var copy = ((com.fasterxml.jackson.databind.node.ObjectNode) existing).deepCopy();
        copy.put("include_usage", true);
        return JsonBody.utf8(copy.toString());
    }
}
