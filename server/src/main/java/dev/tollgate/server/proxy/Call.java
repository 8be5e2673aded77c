package dev.tollgate.server.proxy;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.util.Map;

/**
 * One client request as the pipeline sees it: read and checked once by the surface, decided against
 * the one policy snapshot taken when it arrived.
 *
 * @param passHeaders client headers the upstream may see (never the client's credentials)
 */
public record Call(Api api, String model, boolean stream, JsonBody body, Map<String, String> passHeaders,
                   PolicySnapshot policy) {
}
