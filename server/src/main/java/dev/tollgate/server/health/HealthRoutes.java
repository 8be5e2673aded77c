package dev.tollgate.server.health;

import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.shared.SharedStore;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Liveness (the process answers) and readiness (a policy is loaded and the gateway is not draining),
 * saying when the policy source or the shared state store (Redis) is down.
 */
public final class HealthRoutes {

    private HealthRoutes() {
    }

    public static void register(HttpRouting.Builder routing, PolicyHolder policy, Drain drain) {
        register(routing, policy, drain, Optional.empty());
    }

    public static void register(HttpRouting.Builder routing, PolicyHolder policy, Drain drain, Optional<SharedStore> shared) {
        register(routing, policy, drain, shared, () -> true);
    }

    /** @param accepting false while the listener cannot take new connections (it is being started again) */
    public static void register(HttpRouting.Builder routing, PolicyHolder policy, Drain drain, Optional<SharedStore> shared,
                                BooleanSupplier accepting) {
        routing.get("/health/live", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            if (accepting.getAsBoolean()) {
                res.send("{\"status\":\"UP\"}");
            } else {
                res.status(Status.SERVICE_UNAVAILABLE_503).send("{\"status\":\"DOWN\",\"reason\":\"the listener cannot accept connections\"}");
            }
        });
        routing.get("/health/ready", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            if (drain.draining()) {
                res.status(Status.SERVICE_UNAVAILABLE_503).send("{\"status\":\"DOWN\",\"reason\":\"draining\"}");
            } else {
                // Degraded still serves (200): pulling the node out would not bring Git or Redis back, and a
                // node in rotation answers a clean 503 with Retry-After in the client's dialect, which a load
                // balancer with no node left would not.
                String degraded = policy.degraded()
                        .map(d -> ",\"policy_source\":\"DEGRADED\",\"reason\":\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                                .quoteAsString(d)) + "\"")
                        .orElse("");
                String sharedState = shared.map(s -> s.reachable() ? ",\"shared_state\":\"UP\""
                        : ",\"shared_state\":\"DOWN\",\"shared_state_reason\":\"the shared state store (Redis at " + s.where()
                                + ") is unreachable: requests with a key get 503 until it is back\"").orElse("");
                res.send("{\"status\":\"UP\",\"policy\":\"" + policy.current().version() + "\"" + degraded + sharedState + "}");
            }
        });
    }
}
