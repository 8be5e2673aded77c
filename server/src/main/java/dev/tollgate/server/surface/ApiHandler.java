package dev.tollgate.server.surface;

import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.Dialect;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.health.Drain;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The request handler every API surface shares: it refuses new work while draining, takes the
 * request's one policy snapshot, checks the key from the headers before the body is read, reads the
 * body once within its limit, lets the surface turn it into a {@link Call}, runs the call (the pipeline,
 * or a token count), and answers any refusal in the surface's dialect, recorded in the request's trace.
 * A surface states only its paths, its dialect and how it reads a call.
 */
public final class ApiHandler {

    /** How a surface reads its call from the parsed body: its required fields and the headers it passes on. */
    @FunctionalInterface
    public interface CallReader {
        Call read(JsonBody body, PolicySnapshot snapshot, RequestTrace trace) throws InvalidJsonException, GatewayException;
    }

    /** What is done with the call: the pipeline, or (for token counting) something that spends nothing. */
    @FunctionalInterface
    public interface Action {
        void run(Call call, ServerRequest req, ServerResponse res) throws GatewayException;
    }

    private final PolicyHolder policy;
    private final Pipeline pipeline;
    private final Drain drain;
    private final long bodyLimit;

    public ApiHandler(PolicyHolder policy, Pipeline pipeline, Drain drain, long bodyLimit) {
        this.policy = policy;
        this.pipeline = pipeline;
        this.drain = drain;
        this.bodyLimit = bodyLimit;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public PolicyHolder policy() {
        return policy;
    }

    /** A call through the pipeline. */
    public void handle(ServerRequest req, ServerResponse res, Api dialect, String bodyHint, CallReader reader) {
        handle(req, res, dialect, bodyHint, reader, (call, rq, rs) -> {
            call.trace().dispatching(call.api(), call.model(), call.stream(), call.policy(), null);
            pipeline.run(call, rq, rs);
        });
    }

    /**
     * @param bodyHint added to the message when the body is not JSON, e.g. "Send a JSON object as in OpenAI's API reference."
     */
    public void handle(ServerRequest req, ServerResponse res, Api dialect, String bodyHint, CallReader reader, Action action) {
        RequestTrace trace = RequestTrace.of(req);
        if (!drain.enter()) {
            refuse(trace, res, dialect, new GatewayError.Draining());
            return;
        }
        try {
            PolicySnapshot snapshot = policy.forRequest();
            pipeline.authenticateBeforeBody(snapshot, req);
            JsonBody body;
            try {
                body = JsonBody.parse(BodyReader.read(req, bodyLimit));
            } catch (InvalidJsonException e) {
                throw new GatewayException(new GatewayError.BadRequest(e.getMessage() + (bodyHint.isEmpty() ? "" : ". " + bodyHint), null));
            }
            Call call;
            try {
                call = reader.read(body, snapshot, trace);
            } catch (InvalidJsonException e) {
                throw new GatewayException(new GatewayError.BadRequest(e.getMessage(), e.param()));
            }
            action.run(call, req, res);
        } catch (GatewayException e) {
            refuse(trace, res, dialect, e.error());
        } finally {
            drain.exit();
        }
    }

    /** A refusal in the dialect, recorded in the trace. */
    public static void refuse(RequestTrace trace, ServerResponse res, Api dialect, GatewayError error) {
        trace.error(error);
        Dialect.send(dialect, res, error);
    }
}
