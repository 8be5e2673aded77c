package dev.tollgate.server.models;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Identity;
import dev.tollgate.server.gate.PresentedKey;
import io.helidon.webserver.http.ServerRequest;
import java.util.List;
import java.util.Optional;

/**
 * The catalog models a caller's key may use, for every surface's {@code GET models} and
 * {@code GET models/{id}}; each surface renders them in its own shape. A refused key gets its
 * refusal, to be rendered in the surface's dialect.
 */
public sealed interface ModelListing {

    /** One usable model: its catalog name and the route behind it (the first target's provider "owns" it). */
    record Entry(String name, Route route) {
        public String owner() {
            return route.targets().getFirst().provider().id();
        }
    }

    record Listed(List<Entry> models, PolicySnapshot policy) implements ModelListing {

        /** The model by catalog name, or a not-found naming only close matches this caller may use. */
        public Entry find(String name) throws dev.tollgate.server.errors.GatewayException {
            Optional<Entry> found = models.stream().filter(e -> e.name().equals(name)).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            List<String> usable = models.stream().map(Entry::name).toList();
            List<String> close = policy.closeMatches(name, 10).stream().filter(usable::contains).limit(3).toList();
            throw new dev.tollgate.server.errors.GatewayException(new GatewayError.ModelNotFound(name, close));
        }
    }

    record Refused(GatewayError error) implements ModelListing {
    }

    static ModelListing of(Gate gate, PolicySnapshot policy, ServerRequest req) {
        Identity caller = gate.identify(policy, PresentedKey.from(req));
        if (caller instanceof Identity.Refused refused) {
            return new Refused(refused.error());
        }
        List<Entry> entries = gate.allowedModels(caller, policy.catalog()).stream()
                .map(name -> new Entry(name, policy.resolve(name).orElseThrow()))
                .toList();
        return new Listed(entries, policy);
    }
}
