package dev.tollgate.server.route;

import dev.tollgate.policy.Route;
import java.util.Optional;

/**
 * A request's route as the router settled it: the policy's targets and fallbacks, then any fallbacks
 * the client named ({@value Router#FALLBACKS_HEADER}), and the session that keeps it on one upstream.
 */
public record Routed(Route route, Optional<String> session) {

    public static Routed of(Route route) {
        return new Routed(route, Optional.empty());
    }
}
