package dev.tollgate.providers.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.client.http.HttpResponseException;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.ServiceAccountCredentials;
import dev.tollgate.policy.Provider;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens for Google service-account keys: the key signs a JWT that its {@code token_uri}
 * exchanges for an access token (the JWT-bearer grant, done by Google's auth library). One
 * {@link TokenCache} per key, found by the key's hash, so a rotated key file gets a cache of its own.
 */
public final class ServiceAccountTokens {

    public static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

    private final Map<String, Issuer> byKey = new ConcurrentHashMap<>();
    private final Clock clock;
    /** The gateway's upstream client once the server made it; until then (tests, tools) the library's own transport. */
    private volatile UpstreamClient upstream;

    public ServiceAccountTokens(Clock clock) {
        this.clock = clock;
    }

    private record Issuer(String tokenUri, TokenCache cache) {
    }

    /** Token exchanges from now on go through this client: its egress proxy and CA bundles. */
    public void via(UpstreamClient client) {
        this.upstream = client;
        byKey.clear();
    }

    /** @param keyJson a service-account key as Google hands it out (JSON with private_key, client_email, token_uri) */
    public String accessToken(String keyJson) throws TokenException {
        return accessToken(keyJson, Optional.empty());
    }

    /** As {@link #accessToken(String)}, the exchange trusting the provider's {@code tls.ca_bundle} besides the gateway's. */
    public String accessToken(String keyJson, Provider provider) throws TokenException {
        return accessToken(keyJson, Optional.of(provider));
    }

    private String accessToken(String keyJson, Optional<Provider> provider) throws TokenException {
        UpstreamClient client = upstream;
        String id = sha256(keyJson) + (client == null ? "" : provider.map(p -> "|" + p.tls()).orElse(""));
        Issuer issuer = byKey.get(id);
        if (issuer == null) {
            ServiceAccountCredentials parsed = parse(keyJson);
            ServiceAccountCredentials key = client == null || provider.isEmpty() ? parsed
                    : parsed.toBuilder().setHttpTransportFactory(() -> new UpstreamTransport(client, provider.get())).build();
            issuer = byKey.computeIfAbsent(id, k -> new Issuer(key.getTokenServerUri().toString(),
                    new TokenCache(() -> fetch(key), clock)));
        }
        try {
            return issuer.cache().get();
        } catch (IOException | RuntimeException e) {
            throw explain(issuer.tokenUri(), e);
        }
    }

    private static ServiceAccountCredentials parse(String keyJson) throws TokenException {
        try {
            ServiceAccountCredentials key = ServiceAccountCredentials.fromStream(new ByteArrayInputStream(keyJson.getBytes(StandardCharsets.UTF_8)));
            // No retries inside the library: a request would wait out its backoff (seconds) before the
            // router, which owns retries and fallbacks, hears of the failure.
            return ((ServiceAccountCredentials) key.createScoped(List.of(CLOUD_PLATFORM))).toBuilder().setDefaultRetriesEnabled(false).build();
        } catch (IOException | RuntimeException e) {
            throw new TokenException(TokenException.Kind.BAD_KEY, "not a usable service-account JSON key (" + firstLine(e.getMessage()) + ")");
        }
    }

    private static TokenCache.Token fetch(ServiceAccountCredentials key) throws IOException {
        AccessToken token = key.refreshAccessToken();
        if (token.getExpirationTime() == null) {
            throw new IOException("the token endpoint gave no expiry");
        }
        return new TokenCache.Token(token.getTokenValue(), token.getExpirationTime().toInstant());
    }

    private static TokenException explain(String tokenUri, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpResponseException refused) {
                return new TokenException(TokenException.Kind.REFUSED, tokenUri + " refused the key with HTTP " + refused.getStatusCode()
                        + describe(refused.getContent()));
            }
        }
        return new TokenException(TokenException.Kind.UNREACHABLE, tokenUri + " could not be reached (" + firstLine(String.valueOf(e.getMessage())) + ")");
    }

    /** The OAuth error and its description, which say what is wrong with the key (invalid_grant, ...). */
    private static String describe(String content) {
        if (content == null || content.isBlank()) {
            return "";
        }
        try {
            JsonNode error = JsonBody.MAPPER.readTree(content);
            String code = error.path("error").asText("");
            String description = error.path("error_description").asText("");
            if (!code.isEmpty()) {
                return ": " + code + (description.isEmpty() ? "" : " (" + description + ")");
            }
        } catch (IOException notJson) {
            // fall through to the raw text
        }
        String text = firstLine(content);
        return ": " + (text.length() > 200 ? text.substring(0, 200) + "…" : text);
    }

    /** The first line, without a closing full stop: it goes inside the gateway's own sentence. */
    private static String firstLine(String text) {
        if (text == null) {
            return "no detail";
        }
        int nl = text.indexOf('\n');
        String line = (nl < 0 ? text : text.substring(0, nl)).strip();
        return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
