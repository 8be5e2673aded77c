package dev.tollgate.server.surface.anthropic;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.AnthropicErrors;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.surface.ApiHandler;
import dev.tollgate.server.surface.ModelListing;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic's Messages API under {@code /anthropic} (Claude Code's {@code ANTHROPIC_BASE_URL}), any
 * model behind it: Anthropic models pass through, others are translated by the dispatcher.
 */
public final class AnthropicSurface implements HttpService {

    public static final String PREFIX = "/anthropic";

    private static final String BODY_HINT = "Send a JSON object as in Anthropic's API reference.";

    private final ApiHandler handler;

    public AnthropicSurface(ApiHandler handler) {
        this.handler = handler;
    }

    @Override
    public void routing(HttpRules rules) {
        // Claude Code probes its base URL with HEAD before the first call.
        rules.route(Method.HEAD, PREFIX, (req, res) -> res.send());
        rules.route(Method.HEAD, PREFIX + "/*", (req, res) -> res.send());
        rules.post(PREFIX + "/v1/messages", this::messages);
        rules.post(PREFIX + "/v1/messages/count_tokens", this::countTokens);
        rules.get(PREFIX + "/v1/models", this::models);
        rules.get(PREFIX + "/v1/models/*", this::model);
        rules.any(PREFIX, this::unknown);
        rules.any(PREFIX + "/*", this::unknown);
    }

    private void messages(ServerRequest req, ServerResponse res) {
        handler.handle(req, res, Api.MESSAGES, BODY_HINT, (body, snapshot, trace) -> read(req, body, snapshot, trace));
    }

    private static Call read(ServerRequest req, JsonBody body, PolicySnapshot snapshot, RequestTrace trace) throws InvalidJsonException {
        String model = body.string("model").orElseThrow(() -> new InvalidJsonException("'model' is required", "model"));
        if (body.token("messages").filter(t -> t == JsonToken.START_ARRAY).isEmpty()) {
            throw new InvalidJsonException("'messages' is required: a list of {role, content} messages", "messages");
        }
        return new Call(Api.MESSAGES, model, body.bool("stream").orElse(false), body, passHeaders(req), snapshot, trace);
    }

    /**
     * Anthropic models count with Anthropic; for others the gateway estimates (about four bytes of
     * request per token), which is what Claude Code needs to decide when to compact.
     */
    private void countTokens(ServerRequest req, ServerResponse res) {
        handler.handle(req, res, Api.MESSAGES, BODY_HINT, (body, snapshot, trace) -> read(req, body, snapshot, trace), (call, rq, rs) -> {
            Route route = handler.pipeline().authorizedRoute(call, rq);
            if (handler.pipeline().dispatcher().countTokens(call, route.targets().getFirst(), rs)) {
                return;
            }
            long estimate = Math.max(1, call.body().bytes().length / 4);
            rs.header(HeaderNames.CONTENT_TYPE, "application/json");
            rs.send(JsonBody.utf8("{\"input_tokens\":" + estimate + "}"));
        });
    }

    /**
     * Anthropic's model list: {@code data} of {type, id, display_name, created_at}, paged by
     * {@code limit} (1-1000, default 20), {@code after_id} and {@code before_id}; only what the key may use.
     */
    private void models(ServerRequest req, ServerResponse res) {
        switch (ModelListing.of(handler.pipeline().gate(), handler.policy().forRequest(), req)) {
            case ModelListing.Refused refused -> AnthropicErrors.send(res, refused.error());
            case ModelListing.Listed listed -> {
                List<ModelListing.Entry> all = listed.models();
                int limit;
                try {
                    limit = Integer.parseInt(req.query().first("limit").orElse("20"));
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 1000) {
                    AnthropicErrors.send(res, new GatewayError.BadRequest("'limit' must be a whole number from 1 to 1000.", "limit"));
                    return;
                }
                int from = 0;
                int to = all.size();
                Optional<String> after = req.query().first("after_id").asOptional();
                Optional<String> before = req.query().first("before_id").asOptional();
                if (after.isPresent()) {
                    from = indexOf(all, after.get()) + 1;
                    to = Math.min(all.size(), from + limit);
                } else if (before.isPresent()) {
                    to = Math.max(0, indexOf(all, before.get()));
                    from = Math.max(0, to - limit);
                } else {
                    to = Math.min(all.size(), limit);
                }
                List<ModelListing.Entry> page = all.subList(Math.min(from, to), to);
                ObjectNode root = JsonBody.MAPPER.createObjectNode();
                ArrayNode data = root.putArray("data");
                page.forEach(m -> data.add(model(m)));
                root.put("has_more", before.isPresent() ? from > 0 : to < all.size());
                root.put("first_id", page.isEmpty() ? null : page.getFirst().name());
                root.put("last_id", page.isEmpty() ? null : page.getLast().name());
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(JsonBody.utf8(root.toString()));
            }
        }
    }

    /** An id the caller may not see pages as if it were past the end. */
    private static int indexOf(List<ModelListing.Entry> models, String id) {
        for (int i = 0; i < models.size(); i++) {
            if (models.get(i).name().equals(id)) {
                return i;
            }
        }
        return models.size();
    }

    /** {@code GET /v1/models/{id}}; a gateway name may hold a slash (sim/echo), so everything after models/ is the id. */
    private void model(ServerRequest req, ServerResponse res) {
        String id = req.path().path().substring((PREFIX + "/v1/models/").length());
        ModelListing.answerOne(handler.pipeline().gate(), handler.policy().forRequest(), req, res, id, Api.MESSAGES, AnthropicSurface::model);
    }

    /** The gateway knows no release dates: the epoch stands for "unknown"; {@code lifecycle} is required by the SDKs. */
    private static ObjectNode model(ModelListing.Entry m) {
        return JsonBody.MAPPER.createObjectNode().put("type", "model").put("id", m.name()).put("display_name", m.name())
                .put("created_at", "1970-01-01T00:00:00Z").put("lifecycle", "active");
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
