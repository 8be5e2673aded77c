package dev.tollgate.providers.bedrock;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.CommonSettings;
import dev.tollgate.providers.ErrorMessages;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.anthropic.CacheBreakpoints;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Amazon Bedrock's Converse API, SigV4-signed: {@code settings.region} (the signing region, and the
 * default endpoint's), the access key id (and an optional session token) by reference in settings,
 * the secret access key as the provider's one credential. Every client is translated; nobody embeds.
 */
public final class BedrockAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("bedrock");
    public static final Setting REGION = Setting.text("region", "the AWS region requests are signed for, e.g. us-east-1");
    public static final Setting ACCESS_KEY_ID = Setting.reference("access-key-id", "the access key id, by reference (env:NAME or file:PATH)");
    public static final Setting SESSION_TOKEN = Setting.reference("session-token", "a temporary key's session token, by reference");
    private static final Pattern REGION_SHAPE = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d{1,2}");

    @Override
    public ProviderKind kind() {
        return KIND;
    }

    @Override
    public List<Setting> settings() {
        return CommonSettings.with(REGION, ACCESS_KEY_ID, SESSION_TOKEN, CacheBreakpoints.TTL);
    }

    @Override
    public boolean derivesBaseUrl() {
        return true;
    }

    @Override
    public URI check(Declared provider, Problems problems) {
        String region = provider.settings().get(REGION.name());
        URI uri = provider.baseUrl();
        if (region == null) {
            problems.at("settings", "a bedrock provider needs settings.region, e.g. region: us-east-1 (the region requests are signed for)");
        } else if (!REGION_SHAPE.matcher(region).matches()) {
            problems.at("settings.region", "'" + region + "' is not an AWS region name such as us-east-1 or eu-central-1");
        } else if (uri == null) {
            uri = defaultBaseUrl(region);
        }
        if (!provider.settings().containsKey(ACCESS_KEY_ID.name())) {
            problems.at("settings", "a bedrock provider needs settings." + ACCESS_KEY_ID.name() + ", a reference such as env:AWS_ACCESS_KEY_ID");
        }
        if (provider.credentials().size() != 1) {
            problems.at(provider.credentials().isEmpty() ? "kind" : "credentials", "a bedrock provider needs exactly one credential: the "
                    + "secret access key by reference, e.g. credential: env:AWS_SECRET_ACCESS_KEY (its key id goes in settings."
                    + ACCESS_KEY_ID.name() + "); declare another provider for another AWS key");
        }
        return uri;
    }

    /** The regional runtime endpoint, e.g. https://bedrock-runtime.us-east-1.amazonaws.com. */
    public static URI defaultBaseUrl(String region) {
        return URI.create("https://bedrock-runtime." + region + ".amazonaws.com");
    }

    @Override
    public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.CONVERSE);
    }

    @Override
    public UpstreamRequest request(Outbound call) throws AdapterException {
        Provider provider = call.provider();
        BedrockNative.AwsKey key = BedrockNative.key(provider, call.secret()).orElseThrow(() -> new AdapterException(
                AdapterException.Kind.NOT_READY, "Provider '" + provider.id() + "' has no usable AWS key on this gateway ("
                + provider.settings().get(ACCESS_KEY_ID.name()) + " not set). Ask the platform team"
                + " to provide it, or use a model of another provider (GET /v1/models)."));
        byte[] body = call.body().bytes();
        // Only Claude's models on Bedrock take cache points here; others would refuse the block.
        Optional<String> ttl = CacheBreakpoints.ttl(provider);
        if (ttl.isPresent() && ConverseCodec.claude(call.model())) {
            body = CachePoints.place(body, ttl.get());
        }
        return BedrockNative.prepare(provider, key, call.model(), body);
    }

    /** Bedrock names the error in a header ({@code ValidationException:<namespace>}) and puts only the message in the body. */
    @Override
    public String errorMessage(byte[] body, Function<String, Optional<String>> header) {
        String message = ErrorMessages.of(body);
        return header.apply("x-amzn-errortype").map(t -> t.split(":", 2)[0] + ": " + message).orElse(message);
    }
}
