package dev.tollgate.server.proxy;

import dev.tollgate.policy.Credential;
import dev.tollgate.policy.Provider;
import dev.tollgate.providers.upstream.Secrets;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Picks one of a provider's credentials by weight, among those that resolve right now. */
final class Credentials {

    private Credentials() {
    }

    /** Empty when the provider needs none (a local vLLM or the simulator). */
    static Optional<String> pick(Provider provider) throws GatewayException {
        if (provider.credentials().isEmpty()) {
            return Optional.empty();
        }
        List<String> secrets = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        int total = 0;
        for (Credential c : provider.credentials()) {
            Optional<String> secret = Secrets.resolve(c.ref());
            if (secret.isPresent()) {
                secrets.add(secret.get());
                weights.add(c.weight());
                total += c.weight();
            }
        }
        if (secrets.isEmpty()) {
            throw new GatewayException(new GatewayError.ProviderNotReady("Provider '" + provider.id()
                    + "' has no usable credential on this gateway (" + provider.credentials().stream().map(c -> c.ref().toString()).toList()
                    + " not set). Ask the platform team to provide it, or use a model of another provider (GET /v1/models)."));
        }
        int roll = ThreadLocalRandom.current().nextInt(total);
        for (int i = 0; i < secrets.size(); i++) {
            roll -= weights.get(i);
            if (roll < 0) {
                return Optional.of(secrets.get(i));
            }
        }
        return Optional.of(secrets.getLast());
    }
}
