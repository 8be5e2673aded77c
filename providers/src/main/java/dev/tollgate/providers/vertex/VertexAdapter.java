package dev.tollgate.providers.vertex;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.CommonSettings;
import dev.tollgate.providers.anthropic.CacheBreakpoints;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.google.ServiceAccountTokens;
import dev.tollgate.providers.google.TokenException;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Vertex AI: Gemini and Claude in one Google Cloud project. {@code settings.project} and
 * {@code settings.location} name the endpoint (the base URL defaults from the location); a model's
 * publisher follows its name ({@code claude*} is Anthropic's, the rest Google's) unless
 * {@code settings.publisher} pins one. The credential names a service-account JSON key; access tokens
 * are fetched and renewed here.
 */
public final class VertexAdapter implements Adapter {

    public static final ProviderKind KIND = ProviderKind.of("vertex");
    public static final Setting PROJECT = Setting.text("project", "the Google Cloud project id");
    public static final Setting LOCATION = Setting.text("location", "the Vertex AI region (us-east5, europe-west1) or global");
    public static final Setting PUBLISHER = Setting.choice("publisher", "pins every model to one publisher", "google", "anthropic");
    static final Pattern PROJECT_ID = Pattern.compile("[a-z][a-z0-9:.-]{3,62}");
    static final Pattern LOCATION_ID = Pattern.compile("[a-z][a-z0-9-]{1,40}");

    /** Who publishes a model on Vertex, which decides its path and wire format. */
    public enum Publisher {
        GOOGLE("google"), ANTHROPIC("anthropic");

        private final String id;

        Publisher(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    private final ServiceAccountTokens tokens;

    public VertexAdapter(Clock clock) {
        this.tokens = new ServiceAccountTokens(clock);
    }

    /** Token exchanges go through the gateway's upstream client: its egress proxy and CA bundles. */
    public void tokensVia(dev.tollgate.providers.upstream.UpstreamClient client) {
        tokens.via(client);
    }

    @Override
    public ProviderKind kind() {
        return KIND;
    }

    @Override
    public List<Setting> settings() {
        return CommonSettings.with(PROJECT, LOCATION, PUBLISHER, CacheBreakpoints.TTL);
    }

    @Override
    public boolean derivesBaseUrl() {
        return true;
    }

    @Override
    public URI check(Declared provider, Problems problems) {
        String project = provider.settings().get(PROJECT.name());
        String location = provider.settings().get(LOCATION.name());
        if (project == null) {
            problems.at("settings", "a vertex provider needs settings.project, the Google Cloud project id (e.g. my-project-123)");
        } else if (!PROJECT_ID.matcher(project).matches()) {
            problems.at("settings.project", "'" + project + "' is not a Google Cloud project id (lower-case letters, digits and '-', e.g. my-project-123)");
        }
        boolean locationOk = location != null && LOCATION_ID.matcher(location).matches();
        if (location == null) {
            problems.at("settings", "a vertex provider needs settings.location, the Vertex AI region (e.g. us-east5, europe-west1) or global");
        } else if (!locationOk) {
            problems.at("settings.location", "'" + location + "' is not a Vertex AI location (e.g. us-east5, europe-west1 or global)");
        }
        if (!provider.hasCredential()) {
            problems.at("", "a vertex provider needs credential: file:PATH (or env:NAME) naming a service-account JSON key; "
                    + "the key itself never goes in the policy");
        }
        URI declared = provider.baseUrl();
        if (declared != null && declared.getRawPath() != null && !declared.getRawPath().isEmpty()) {
            problems.at("base_url", "a vertex base_url is the host only (e.g. https://us-east5-aiplatform.googleapis.com); "
                    + "the gateway adds /v1/projects/...: drop '" + declared.getRawPath() + "'");
            return null;
        }
        if (declared != null) {
            return declared;
        }
        return locationOk ? defaultBaseUrl(location) : null;
    }

    /** The regional endpoint, or the global one for location {@code global}. */
    public static URI defaultBaseUrl(String location) {
        return URI.create(location.equals("global") ? "https://aiplatform.googleapis.com" : "https://" + location + "-aiplatform.googleapis.com");
    }

    /** The provider's {@code settings.publisher} when set, else inferred from the model's name. */
    public static Publisher publisher(Provider provider, String model) {
        String pinned = provider.settings().get(PUBLISHER.name());
        if (pinned != null) {
            return pinned.equals("anthropic") ? Publisher.ANTHROPIC : Publisher.GOOGLE;
        }
        return model.startsWith("claude") ? Publisher.ANTHROPIC : Publisher.GOOGLE;
    }

    /** Claude speaks Messages, Gemini the Gemini API; nobody embeds here. */
    @Override
    public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        return client == Api.EMBEDDINGS ? Optional.empty()
                : Optional.of(publisher(provider, upstreamModel) == Publisher.ANTHROPIC ? Api.MESSAGES : Api.GEMINI);
    }

    @Override
    public UpstreamRequest request(Outbound call) throws AdapterException {
        String token = accessToken(call);
        return call.api() == Api.MESSAGES
                ? VertexNative.claude(call.provider(), token, call.model(), call.stream(), CacheBreakpoints.on(call), call.passHeaders())
                : VertexNative.gemini(call.provider(), token, call.model(), call.stream(), call.body().bytes());
    }

    private String accessToken(Outbound call) throws AdapterException {
        String provider = call.provider().id();
        if (call.secret().isEmpty()) {
            throw new AdapterException(AdapterException.Kind.NOT_READY, "Provider '" + provider
                    + "' (vertex) has no service-account key on this gateway. Ask the platform team to set its credential to file:PATH or env:NAME holding the key's JSON.");
        }
        try {
            return tokens.accessToken(call.secret().get(), call.provider());
        } catch (TokenException e) {
            String prefix = "Provider '" + provider + "' (vertex) could not get a Google access token with " + call.credential() + ": ";
            throw switch (e.kind()) {
                case BAD_KEY -> new AdapterException(AdapterException.Kind.NOT_READY, prefix + "it is " + e.getMessage()
                        + ". Ask the platform team to point it at the JSON key of a service account with the Vertex AI User role.");
                case REFUSED -> new AdapterException(AdapterException.Kind.FAILED, prefix + e.getMessage()
                        + ". Ask the platform team to check that the key and its service account still exist and are enabled.");
                case UNREACHABLE -> new AdapterException(AdapterException.Kind.FAILED, prefix + e.getMessage()
                        + ". Retry; if it persists the gateway cannot reach Google's token endpoint.");
            };
        }
    }
}
