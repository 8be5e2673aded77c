package dev.tollgate.providers.bedrock;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.SecretRef;
import dev.tollgate.providers.upstream.PathSegment;
import dev.tollgate.providers.upstream.Secrets;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * Requests for Amazon Bedrock's runtime: {@code POST /model/{modelId}/converse-stream}, signed with
 * AWS SigV4 (service {@code bedrock}, the provider's {@code settings.region}) by the AWS SDK's signer.
 */
public final class BedrockNative {

    static final String SERVICE = "bedrock";
    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();

    private BedrockNative() {
    }

    /** An AWS key pair, with a session token for temporary credentials. */
    public record AwsKey(String accessKeyId, String secretAccessKey, String sessionToken) {

        AwsCredentialsIdentity identity() {
            return sessionToken == null ? AwsCredentialsIdentity.create(accessKeyId, secretAccessKey)
                    : AwsSessionCredentialsIdentity.create(accessKeyId, secretAccessKey, sessionToken);
        }
    }

    /**
     * The provider's key: the secret access key is the credential the route plan picked; the key id
     * and session token are resolved from their references in settings. Empty when the key id or the
     * secret is not set; a session token is sent when it is set (temporary keys need it, long-term
     * keys have none, so one policy serves both).
     */
    public static Optional<AwsKey> key(Provider provider, Optional<String> secretAccessKey) {
        Optional<String> id = resolve(provider.settings().get(BedrockAdapter.ACCESS_KEY_ID.name()));
        if (id.isEmpty() || secretAccessKey.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new AwsKey(id.get(), secretAccessKey.get(), resolve(provider.settings().get(BedrockAdapter.SESSION_TOKEN.name())).orElse(null)));
    }

    private static Optional<String> resolve(String ref) {
        return ref == null ? Optional.empty() : Secrets.resolve(SecretRef.parse(ref));
    }

    /** A signed ConverseStream call (translated calls always stream upstream). */
    public static UpstreamRequest prepare(Provider provider, AwsKey key, String modelId, byte[] body) {
        return sign(UpstreamRequest.uri(provider.baseUrl() + "/model/" + pathSegment(modelId) + "/converse-stream"),
                provider.headers(), body, provider.settings().get(BedrockAdapter.REGION.name()), key, Clock.systemUTC());
    }

    /**
     * Signs a POST. The path is sent percent-encoded ({@code :} as {@code %3A}); as for every AWS
     * service but S3, the signer encodes it once more for the canonical request, as Bedrock expects.
     */
    static UpstreamRequest sign(URI uri, Map<String, String> extraHeaders, byte[] body, String region, AwsKey key, Clock clock) {
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri)
                .putHeader("content-type", "application/json")
                .putHeader("accept", "application/vnd.amazon.eventstream");
        extraHeaders.forEach(unsigned::putHeader);
        SignedRequest signed = SIGNER.sign(r -> r
                .identity(key.identity())
                .request(unsigned.build())
                .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(HttpSigner.SIGNING_CLOCK, clock));
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> h : signed.request().headers().entrySet()) {
            // Our client writes Host itself, from the same URI the signature covers.
            if (!h.getKey().equalsIgnoreCase("host")) {
                headers.put(h.getKey(), String.join(",", h.getValue()));
            }
        }
        return new UpstreamRequest(uri, headers, body);
    }

    /** One percent-encoded path segment: model ids hold ':' and ARNs '/'. */
    static String pathSegment(String s) {
        return PathSegment.encode(s);
    }
}
