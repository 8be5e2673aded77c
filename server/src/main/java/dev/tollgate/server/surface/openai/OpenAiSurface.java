package dev.tollgate.server.surface.openai;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.OpenAiErrors;
import dev.tollgate.server.surface.ApiHandler;
import dev.tollgate.server.surface.ModelListing;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * OpenAI's API (chat completions, Responses, embeddings, models) under every base URL OpenAI clients
 * are configured with: {@code /v1}, {@code /openai/v1} and {@code /openai}.
 */
public final class OpenAiSurface implements HttpService {

    public static final List<String> PREFIXES = List.of("/v1", "/openai/v1", "/openai");

    /** Client headers an OpenAI upstream may see; never the client's own credentials. */
    private static final Set<String> PASS_HEADERS = Set.of("openai-beta", "originator", "session_id", "session-id",
            "thread-id", "x-client-request-id", "version");
    private static final String BODY_HINT = "Send a JSON object as in OpenAI's API reference.";

    private final ApiHandler handler;

    public OpenAiSurface(ApiHandler handler) {
        this.handler = handler;
    }

    @Override
    public void routing(HttpRules rules) {
        for (String prefix : PREFIXES) {
            rules.post(prefix + "/chat/completions", (req, res) -> handle(Api.CHAT_COMPLETIONS, req, res));
            rules.post(prefix + "/responses", (req, res) -> handle(Api.RESPONSES, req, res));
            rules.post(prefix + "/responses/compact", (req, res) -> handle(Api.RESPONSES_COMPACT, req, res));
            rules.post(prefix + "/embeddings", (req, res) -> handle(Api.EMBEDDINGS, req, res));
            rules.get(prefix + "/models", this::models);
            rules.get(prefix + "/models/*", this::model);
            rules.get(prefix + "/responses", OpenAiSurface::responsesOverWebSocket);
        }
    }

    private void handle(Api api, ServerRequest req, ServerResponse res) {
        handler.handle(req, res, api, BODY_HINT, (body, snapshot, trace) -> read(api, req, body, snapshot, trace));
    }

    private static Call read(Api api, ServerRequest req, JsonBody body, PolicySnapshot snapshot, RequestTrace trace) throws InvalidJsonException {
        String model = body.string("model").orElseThrow(() -> new InvalidJsonException(
                "'model' is required: name a model from GET /v1/models, e.g. \"model\": \"" + firstOr(snapshot.catalog(), "sim/echo") + "\"", "model"));
        // The compaction endpoint answers one JSON object, whatever the body says.
        boolean stream = api != Api.RESPONSES_COMPACT && body.bool("stream").orElse(false);
        switch (api) {
            case CHAT_COMPLETIONS -> require(body, "messages", JsonToken.START_ARRAY, "a list of messages");
            case EMBEDDINGS -> {
                if (!body.has("input")) {
                    throw new InvalidJsonException("'input' is required: a string or a list of strings to embed", "input");
                }
            }
            case RESPONSES, RESPONSES_COMPACT -> {
                Optional<JsonToken> input = body.token("input");
                if (input.isPresent() && input.get() != JsonToken.VALUE_STRING && input.get() != JsonToken.START_ARRAY
                        && input.get() != JsonToken.VALUE_NULL) {
                    throw new InvalidJsonException("'input' must be a string or a list of input items", "input");
                }
            }
            default -> throw new IllegalArgumentException("not an OpenAI API: " + api);
        }
        return new Call(api, model, stream, body, passHeaders(req), snapshot, trace);
    }

    private static void require(JsonBody body, String field, JsonToken kind, String what) throws InvalidJsonException {
        Optional<JsonToken> token = body.token(field);
        if (token.isEmpty() || token.get() == JsonToken.VALUE_NULL) {
            throw new InvalidJsonException("'" + field + "' is required: " + what, field);
        }
        if (token.get() != kind) {
            throw new InvalidJsonException("'" + field + "' must be " + what, field);
        }
    }

    private static String firstOr(List<String> names, String fallback) {
        return names.isEmpty() ? fallback : names.getFirst();
    }

    private static Map<String, String> passHeaders(ServerRequest req) {
        Map<String, String> headers = new HashMap<>(8);
        for (Header h : req.headers()) {
            String name = h.name().toLowerCase(Locale.ROOT);
            if (PASS_HEADERS.contains(name) || name.startsWith("x-codex-")) {
                headers.put(name, h.get());
            }
        }
        return headers;
    }

    private void models(ServerRequest req, ServerResponse res) {
        switch (ModelListing.of(handler.pipeline().gate(), handler.policy().forRequest(), req)) {
            case ModelListing.Refused refused -> OpenAiErrors.send(res, refused.error());
            case ModelListing.Listed listed -> {
                ObjectNode root = JsonBody.MAPPER.createObjectNode();
                root.put("object", "list");
                ArrayNode data = root.putArray("data");
                listed.models().forEach(m -> data.add(model(m)));
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(JsonBody.utf8(root.toString()));
            }
        }
    }

    /** {@code GET models/{id}}; a gateway name may hold a slash (sim/echo), so everything after models/ is the id. */
    private void model(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        String id = path.substring(path.indexOf("/models/") + "/models/".length());
        ModelListing.answerOne(handler.pipeline().gate(), handler.policy().forRequest(), req, res, id, Api.CHAT_COMPLETIONS, OpenAiSurface::model);
    }

    /** OpenAI's model object, with the facts the gateway knows as extra fields (as OpenAI-compatible catalogs add them). */
    private static ObjectNode model(ModelListing.Entry m) {
        ObjectNode o = JsonBody.MAPPER.createObjectNode().put("id", m.name()).put("object", "model").put("created", 0).put("owned_by", m.owner());
        dev.tollgate.policy.ModelFacts f = m.facts();
        if (f.contextWindow() != null) {
            o.put("context_window", f.contextWindow());
        }
        if (f.maxOutputTokens() != null) {
            o.put("max_output_tokens", f.maxOutputTokens());
        }
        if (f.reasoning() != null) {
            o.put("reasoning", f.reasoning());
        }
        if (f.images() != null) {
            com.fasterxml.jackson.databind.node.ArrayNode modalities = o.putArray("input_modalities").add("text");
            if (f.images()) {
                modalities.add("image");
            }
        }
        return o;
    }

    /**
     * A GET of {@code responses} without a WebSocket upgrade (those are taken by the socket before
     * routing): told how to use the endpoint.
     */
    private static void responsesOverWebSocket(ServerRequest req, ServerResponse res) {
        res.status(Status.UPGRADE_REQUIRED_426);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(JsonBody.utf8(OpenAiErrors.body(new GatewayError.BadRequest(
                "GET responses is the Responses WebSocket: connect with Upgrade: websocket and send response.create frames, "
                        + "or POST /v1/responses with \"stream\": true.", null)).toString()));
    }
}
