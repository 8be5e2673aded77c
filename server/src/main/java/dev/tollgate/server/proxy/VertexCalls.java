package dev.tollgate.server.proxy;

import dev.tollgate.policy.Provider;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.google.ServiceAccountTokens;
import dev.tollgate.providers.google.TokenException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.vertex.VertexNative;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import java.util.Map;
import java.util.Optional;

/** Vertex AI calls: an access token for the picked service-account key, then the model's publisher endpoint. */
final class VertexCalls {

    private final ServiceAccountTokens tokens;

    VertexCalls(ServiceAccountTokens tokens) {
        this.tokens = tokens;
    }

    /**
     * @param credential the key's reference, to name in errors
     * @param key        the service-account JSON the reference resolved to
     * @param upstreamApi MESSAGES for Claude, GEMINI for Gemini
     */
    UpstreamRequest prepare(Provider provider, String credential, Optional<String> key, String model, Api upstreamApi, boolean stream,
                            JsonBody body, Map<String, String> passHeaders) throws GatewayException {
        String token = accessToken(provider, credential, key);
        return upstreamApi == Api.MESSAGES
                ? VertexNative.claude(provider, token, model, stream, body, passHeaders)
                : VertexNative.gemini(provider, token, model, stream, body.bytes());
    }

    private String accessToken(Provider provider, String credential, Optional<String> key) throws GatewayException {
        if (key.isEmpty()) {
            throw new GatewayException(new GatewayError.ProviderNotReady("Provider '" + provider.id()
                    + "' (vertex) has no service-account key on this gateway. Ask the platform team to set its credential to file:PATH or env:NAME holding the key's JSON."));
        }
        try {
            return tokens.accessToken(key.get());
        } catch (TokenException e) {
            String prefix = "Provider '" + provider.id() + "' (vertex) could not get a Google access token with " + credential + ": ";
            throw new GatewayException(switch (e.kind()) {
                case BAD_KEY -> new GatewayError.ProviderNotReady(prefix + "it is " + e.getMessage()
                        + ". Ask the platform team to point it at the JSON key of a service account with the Vertex AI User role.");
                case REFUSED -> new GatewayError.UpstreamFailed(prefix + e.getMessage()
                        + ". Ask the platform team to check that the key and its service account still exist and are enabled.");
                case UNREACHABLE -> new GatewayError.UpstreamFailed(prefix + e.getMessage() + ". Retry; if it persists the gateway cannot reach Google's token endpoint.");
            });
        }
    }
}
