package dev.tollgate.server.route;

import java.time.Duration;

/**
 * One call of one upstream target while serving a request, for the request's log record and the
 * metrics: which target (and credential), what came of it, how long it took.
 *
 * @param credential the credential's reference ({@code env:NAME}), never the secret; "" when the provider needs none
 * @param status     the upstream's HTTP status, 0 when none came
 */
public record Attempt(String provider, String model, String credential, Outcome outcome, int status, Duration latency) {

    public enum Outcome {
        /** The answer was relayed to the client (a 4xx the client must see included). */
        ANSWERED,
        CONNECT_FAILED,
        TIMED_OUT,
        RESET,
        /** 429. */
        THROTTLED,
        /** 5xx. */
        UPSTREAM_ERROR,
        /** 401/403 on the gateway's own provider credential. */
        CREDENTIAL_REJECTED,
        /** The target cannot be called from this gateway (missing credential, unsupported format). */
        NOT_READY;

        /** A sign the target is unhealthy: counts against its circuit. */
        public boolean unhealthy() {
            return switch (this) {
                case CONNECT_FAILED, TIMED_OUT, RESET, UPSTREAM_ERROR -> true;
                case ANSWERED, THROTTLED, CREDENTIAL_REJECTED, NOT_READY -> false;
            };
        }
    }
}
