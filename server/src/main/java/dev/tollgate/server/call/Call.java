package dev.tollgate.server.call;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.trace.RequestTrace;
import java.util.HashMap;
import java.util.Map;

/**
 * One client request as the pipeline sees it: read and checked once by the surface, decided against
 * the one policy snapshot taken when it arrived.
 *
 * @param trace       what the request did, collected as it runs, for telemetry at its end
 * @param passHeaders client headers the upstream may see (never the client's credentials); a value
 *                    longer than {@link #MAX_PASS_HEADER} or a session id that is not one is left out
 */
public record Call(Api api, String model, boolean stream, JsonBody body, Map<String, String> passHeaders,
                   PolicySnapshot policy, RequestTrace trace) {

    /** Characters of a client header value passed upstream; real ones (versions, betas, ids) are far shorter. */
    public static final int MAX_PASS_HEADER = 4096;

    public Call {
        passHeaders = bounded(passHeaders);
    }

    /** A call no telemetry follows (a stage driven by a test). */
    public Call(Api api, String model, boolean stream, JsonBody body, Map<String, String> passHeaders, PolicySnapshot policy) {
        this(api, model, stream, body, passHeaders, policy, RequestTrace.detached());
    }

    private static Map<String, String> bounded(Map<String, String> headers) {
        Map<String, String> kept = null;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            boolean drop = h.getValue().length() > MAX_PASS_HEADER
                    || SessionId.HEADERS.contains(h.getKey()) && !SessionId.valid(h.getValue());
            if (drop) {
                if (kept == null) {
                    kept = new HashMap<>(headers);
                }
                kept.remove(h.getKey());
            }
        }
        return kept == null ? headers : kept;
    }
}
