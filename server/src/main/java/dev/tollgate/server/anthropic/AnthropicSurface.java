package dev.tollgate.server.anthropic;

import com.fasterxml.jackson.core.JsonToken;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.anthropic.AnthropicNative;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.errors.AnthropicErrors;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.health.Drain;
import dev.tollgate.server.policy.PolicyHolder;
import dev.tollgate.server.proxy.BodyReader;
import dev.tollgate.server.proxy.Call;
import dev.tollgate.server.proxy.Pipeline;
import dev.tollgate.server.telemetry.RequestTrace;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Anthropic's Messages API under {@code /anthropic} (Claude Code's {@code ANTHROPIC_BASE_URL}), any
 * model behind it: Anthropic models pass through, others are translated by the dispatcher.
 */
public final class AnthropicSurface {

    public static final String PREFIX = "/anthropic";

    private final PolicyHolder policy;
    private final Pipeline pipeline;
    private final Drain drain;
    private final long bodyLimit;

    public AnthropicSurface(PolicyHolder policy, Pipeline pipeline, Drain drain, long bodyLimit) {
        this.policy = policy;
        this.pipeline = pipeline;
        this.drain = drain;
        this.bodyLimit = bodyLimit;
    }

    public void register(HttpRouting.Builder routing) {
        // Claude Code probes its base URL with HEAD before the first call.
        routing.route(Method.HEAD, PREFIX, (req, res) -> res.send());
        routing.route(Method.HEAD, PREFIX + "/*", (req, res) -> res.send());
        routing.post(PREFIX + "/v1/messages", this::messages);
        routing.post(PREFIX + "/v1/messages/count_tokens", this::countTokens);
        routing.any(PREFIX, this::unknown);
        routing.any(PREFIX + "/*", this::unknown);
    }

    private void messages(ServerRequest req, ServerResponse res) {
        if (!drain.enter()) {
            AnthropicErrors.send(res, new GatewayError.Draining());
            return;
        }
        try {
            Call call = read(req, policy.forRequest(req));
            RequestTrace.current().dispatching(Api.MESSAGES, call.model(), call.stream(), call.policy(), null);
            pipeline.run(call, req, res);
        } catch (GatewayException e) {
            AnthropicErrors.send(res, e.error());
        } finally {
            drain.exit();
        }
    }

    private Call read(ServerRequest req, PolicySnapshot snapshot) throws GatewayException {
        JsonBody body = parse(req);
        try {
            String model = body.string("model").orElseThrow(() -> new InvalidJsonException("'model' is required", "model"));
            if (body.token("messages").filter(t -> t == JsonToken.START_ARRAY).isEmpty()) {
                throw new InvalidJsonException("'messages' is required: a list of {role, content} messages", "messages");
            }
            return new Call(Api.MESSAGES, model, body.bool("stream").orElse(false), body, passHeaders(req), snapshot);
        } catch (InvalidJsonException e) {
            throw new GatewayException(new GatewayError.BadRequest(e.getMessage(), e.param()));
        }
    }

    private JsonBody parse(ServerRequest req) throws GatewayException {
        try {
            return JsonBody.parse(BodyReader.read(req, bodyLimit));
        } catch (InvalidJsonException e) {
            throw new GatewayException(new GatewayError.BadRequest(e.getMessage() + ". Send a JSON object as in Anthropic's API reference.", null));
        }
    }

    /**
     * Anthropic models count with Anthropic; for others the gateway estimates (about four bytes of
     * request per token), which is what Claude Code needs to decide when to compact.
     */
    private void countTokens(ServerRequest req, ServerResponse res) {
        try {
            Call call = read(req, policy.forRequest(req));
            Route route = pipeline.authorizedRoute(call, req);
            Route.Target target = route.targets().getFirst();
            if (target.provider().kind() == ProviderKind.ANTHROPIC) {
                pipeline.dispatcher().forward(AnthropicNative.prepare(target.provider(), pipeline.dispatcher().secret(target.provider()), "messages/count_tokens",
                        target.model(), call.body(), call.passHeaders()), target.provider(), res);
                return;
            }
            long estimate = Math.max(1, call.body().bytes().length / 4);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(JsonBody.utf8("{\"input_tokens\":" + estimate + "}"));
        } catch (GatewayException e) {
            AnthropicErrors.send(res, e.error());
        }
    }

    private void unknown(ServerRequest req, ServerResponse res) {
        AnthropicErrors.send(res, new GatewayError.NoSuchPath("There is no " + req.prologue().method().text() + " " + req.path().path()
                + " on this gateway. Anthropic clients use the base URL " + PREFIX + " (POST " + PREFIX + "/v1/messages)."));
    }

    /** Anthropic's version and beta headers matter to an Anthropic upstream; credentials never pass. */
    private static Map<String, String> passHeaders(ServerRequest req) {
        Map<String, String> headers = new HashMap<>(4);
        for (Header h : req.headers()) {
            String name = h.name().toLowerCase(Locale.ROOT);
            if (name.equals("anthropic-version") || name.equals("anthropic-beta")) {
                headers.put(name, h.get());
            }
        }
        return headers;
    }
}
