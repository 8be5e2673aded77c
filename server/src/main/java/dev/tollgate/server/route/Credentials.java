package dev.tollgate.server.route;

import dev.tollgate.policy.Credential;
import dev.tollgate.policy.Provider;
import dev.tollgate.providers.upstream.Secrets;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import java.util.List;
import java.util.Optional;

/** Picks one of a provider's credentials by weight ({@link Balancer}), among those that resolve right now. */
public final class Credentials {

    /** The credential's reference (for cool-downs and the log) and its secret. */
    public record Picked(String ref, String secret) {
    }

    private Credentials() {
    }

    /** Empty when none of {@code usable} resolves on this gateway. */
    static Optional<Picked> pick(List<Credential> usable, Optional<String> session) {
        for (Credential c : Balancer.order(usable, c -> c.ref().toString(), Credential::weight, session)) {
            Optional<String> secret = Secrets.resolve(c.ref());
            if (secret.isPresent()) {
                return Optional.of(new Picked(c.ref().toString(), secret.get()));
            }
        }
        return Optional.empty();
    }

    /** For a direct call outside the route plan (token counting); empty when the provider needs none. */
    public static Optional<String> secret(Provider provider) throws GatewayException {
        if (provider.credentials().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(pick(provider.credentials(), Optional.empty())
                .orElseThrow(() -> new GatewayException(notReady(provider, provider.credentials())))
                .secret());
    }

    static GatewayError notReady(Provider provider, List<Credential> tried) {
        return new GatewayError.ProviderNotReady("Provider '" + provider.id() + "' has no usable credential on this gateway ("
                + tried.stream().map(c -> c.ref().toString()).toList()
                + " not set). Ask the platform team to provide it, or use a model of another provider (GET /v1/models).");
    }
}
