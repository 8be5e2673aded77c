package dev.tollgate.server.health;

import dev.tollgate.server.policy.PolicyHolder;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import dev.tollgate.server.shared.SharedStore;
import java.util.Optional;

/**
 * Liveness (the process answers) and readiness (a policy is loaded, the gateway is not draining and,
 * when nodes share state, Redis answers).
 */
public final class HealthRoutes {

    private HealthRoutes() {
    }

    public static void register(HttpRouting.Builder routing, PolicyHolder policy, Drain drain) {
        register(routing, policy, drain, Optional.empty());
    }

    public static void register(HttpRouting.Builder routing, PolicyHolder policy, Drain drain, Optional<SharedStore> shared) {
        routing.get("/health/live", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send("{\"status\":\"UP\"}");
        });
        routing.get("/health/ready", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            if (drain.draining()) {
                res.status(Status.SERVICE_UNAVAILABLE_503).send("{\"status\":\"DOWN\",\"reason\":\"draining\"}");
            } else if (shared.isPresent() && !shared.get().reachable()) {
                // Every request with a key needs it; the node comes back by itself when Redis does.
                res.status(Status.SERVICE_UNAVAILABLE_503).send("{\"status\":\"DOWN\",\"shared_state\":\"DOWN\",\"reason\":"
                        + "\"the shared state store (Redis at " + shared.get().where() + ") is unreachable\"}");
            } else {
                // Degraded still serves (200): pulling the node out would not bring Git back.
                String degraded = policy.degraded()
                        .map(d -> ",\"policy_source\":\"DEGRADED\",\"reason\":\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                                .quoteAsString(d)) + "\"")
                        .orElse("");
                res.send("{\"status\":\"UP\",\"policy\":\"" + policy.current().version() + "\"" + degraded
                        + (shared.isPresent() ? ",\"shared_state\":\"UP\"" : "") + "}");
            }
        });
    }
}
