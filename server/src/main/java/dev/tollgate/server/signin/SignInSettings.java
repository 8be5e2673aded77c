package dev.tollgate.server.signin;

import dev.tollgate.policy.SecretRef;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The company's OIDC provider, for developer sign-in (a server setting, not policy: it says where
 * identities come from; the policy says what they may do).
 *
 * <pre>
 * key                          env                           meaning
 * tollgate.sso.issuer          TOLLGATE_SSO_ISSUER           the provider's issuer URL (discovery at /.well-known/openid-configuration)
 * tollgate.sso.client.id       TOLLGATE_SSO_CLIENT_ID        the gateway's client id at the provider (the ID token's audience)
 * tollgate.sso.client.secret   TOLLGATE_SSO_CLIENT_SECRET    optional, a reference: env:NAME or file:PATH (never the secret)
 * tollgate.sso.groups.claim    TOLLGATE_SSO_GROUPS_CLAIM     the ID token claim holding the person's groups (default groups)
 * tollgate.sso.public.url      TOLLGATE_SSO_PUBLIC_URL       the gateway's address as people and clients reach it (https://llm.example.com),
 *                                                            for the URLs sign-in hands out; default: the request's Host (a host
 *                                                            name or address only) with the listener's scheme
 * </pre>
 */
public record SignInSettings(URI issuer, String clientId, Optional<SecretRef> clientSecret, String groupsClaim, Optional<URI> publicUrl) {

    public SignInSettings {
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("tollgate.sso.client.id (TOLLGATE_SSO_CLIENT_ID) is required with tollgate.sso.issuer");
        }
    }

    public SignInSettings(URI issuer, String clientId) {
        this(issuer, clientId, Optional.empty(), "groups", Optional.empty());
    }

    /** The setting, or empty when no issuer is set (sign-in off). */
    public static Optional<SignInSettings> load(Map<String, String> flags, Path configFile) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.environmentVariables());
        if (configFile != null) {
            sources.add(ConfigSources.file(configFile));
        }
        Config sso = Config.builder().sources(sources).disableSystemPropertiesSource().disableEnvironmentVariablesSource().build()
                .get("tollgate.sso");
        Optional<String> issuer = sso.get("issuer").asString().asOptional().filter(s -> !s.isBlank());
        if (issuer.isEmpty()) {
            return Optional.empty();
        }
        URI uri = URI.create(issuer.get().trim());
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("tollgate.sso.issuer must be an http(s) URL, found '" + issuer.get() + "'");
        }
        Optional<SecretRef> secret = sso.get("client.secret").asString().asOptional().filter(s -> !s.isBlank()).map(SecretRef::parse);
        Optional<URI> publicUrl = sso.get("public.url").asString().asOptional().filter(s -> !s.isBlank()).map(SignInSettings::publicUrl);
        return Optional.of(new SignInSettings(uri, sso.get("client.id").asString().orElse(""), secret,
                sso.get("groups.claim").asString().orElse("groups"), publicUrl));
    }

    /** An http(s) URL with a host and nothing after its path, without a trailing '/'. */
    static URI publicUrl(String text) {
        URI u;
        try {
            u = new URI(text.trim().replaceAll("/+$", ""));
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("tollgate.sso.public.url is not a URL: " + e.getMessage());
        }
        if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null || u.getUserInfo() != null
                || u.getQuery() != null || u.getFragment() != null) {
            throw new IllegalArgumentException("tollgate.sso.public.url must be like https://llm.example.com (http or https, a host, "
                    + "no user, query or fragment), found '" + text + "'");
        }
        return u;
    }

    /** The client secret read from where its reference points; empty for a public client (PKCE alone). */
    Optional<String> resolveSecret() {
        return clientSecret.map(ref -> switch (ref.scheme()) {
            case ENV -> Optional.ofNullable(System.getenv(ref.location())).orElseThrow(() ->
                    new IllegalStateException("tollgate.sso.client.secret names " + ref + ", which is not set"));
            case FILE -> {
                try {
                    yield java.nio.file.Files.readString(Path.of(ref.location())).trim();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("tollgate.sso.client.secret names " + ref + ", which cannot be read: " + e.getMessage());
                }
            }
        });
    }
}
