package dev.tollgate.server.routing;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;

/** Turns the requested model name into the ordered targets that may serve it. */
public final class Router {

    public Route route(PolicySnapshot policy, String model) throws GatewayException {
        return policy.resolve(model)
                .orElseThrow(() -> new GatewayException(new GatewayError.ModelNotFound(model, policy.closeMatches(model, 3))));
    }
}
