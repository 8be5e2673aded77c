package dev.tollgate.server.surface;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.ModelFacts;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.call.ModelName;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Identity;
import dev.tollgate.server.gate.PresentedKey;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Optional;

/**
 * The catalog models a caller's key may use, for every surface's {@code GET models} and
 * {@code GET models/{id}}; each surface renders them in its own shape. A refused key gets its
 * refusal, to be rendered in the surface's dialect.
 */
public sealed interface ModelListing {

    /**
     * One usable model: its catalog name, the route behind it (the first target's provider "owns" it),
     * and what clients should know of it (unknown facts are left out of every shape).
     */
    record Entry(String name, Route route, ModelFacts facts) {
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

    /**
     * Answers {@code GET models/{id}}: the model in the surface's {@code shape}, or the refusal or
     * not-found in the surface's error dialect.
     */
    static void answerOne(Gate gate, PolicySnapshot policy, ServerRequest req, ServerResponse res, String id, Api dialect,
                          java.util.function.Function<Entry, ObjectNode> shape) {
        try {
            ModelName.parse(id, "the request path");
        } catch (dev.tollgate.server.errors.GatewayException e) {
            Dialect.send(dialect, res, e.error());
            return;
        }
        switch (of(gate, policy, req)) {
            case Refused refused -> Dialect.send(dialect, res, refused.error());
            case Listed listed -> {
                try {
                    ObjectNode one = shape.apply(listed.find(id));
                    res.header(HeaderNames.CONTENT_TYPE, "application/json");
                    res.send(JsonBody.utf8(one.toString()));
                } catch (dev.tollgate.server.errors.GatewayException e) {
                    Dialect.send(dialect, res, e.error());
                }
            }
        }
    }

    static ModelListing of(Gate gate, PolicySnapshot policy, ServerRequest req) {
        Identity caller = gate.identify(policy, PresentedKey.from(req));
        if (caller instanceof Identity.Refused refused) {
            return new Refused(refused.error());
        }
        List<Entry> entries = gate.allowedModels(caller, policy.catalog()).stream()
                .map(name -> new Entry(name, policy.resolve(name).orElseThrow(), policy.facts(name)))
                .toList();
        return new Listed(entries, policy);
    }
}
