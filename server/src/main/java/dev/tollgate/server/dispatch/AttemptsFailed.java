package dev.tollgate.server.dispatch;

import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.route.Attempt;
import java.util.List;

/** No target served the request; the attempts made on the way, for the request's log record. */
public final class AttemptsFailed extends GatewayException {

    private final transient List<Attempt> attempts;

    public AttemptsFailed(GatewayError error, List<Attempt> attempts) {
        super(error);
        this.attempts = List.copyOf(attempts);
    }

    public List<Attempt> attempts() {
        return attempts;
    }
}
