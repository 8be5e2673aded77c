package dev.tollgate.server.surface.gemini;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.errors.GoogleErrors;
import dev.tollgate.server.surface.ApiHandler;
import dev.tollgate.server.surface.ModelListing;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Map;

/**
 * Gemini's API: {@code POST .../v1beta/models/{model}:generateContent | :streamGenerateContent |
 * :countTokens} under {@code /genai} (a base URL with a prefix) and at {@code /v1beta} (one without).
 */
public final class GeminiSurface implements HttpService {

    public static final List<String> PREFIXES = List.of("/genai/v1beta/models/", "/v1beta/models/");

    private final ApiHandler handler;

    public GeminiSurface(ApiHandler handler) {
        this.handler = handler;
    }

    @Override
    public void routing(HttpRules rules) {
        for (String prefix : PREFIXES) {
            // "{model}:{method}" is one path segment; it is split here rather than by a path template.
            rules.post(prefix + "*", this::handle);
            rules.get(prefix.substring(0, prefix.length() - 1), this::models);
            rules.get(prefix, this::models);
            rules.get(prefix + "*", this::model);
        }
        rules.any("/genai/*", (req, res) -> GoogleErrors.send(res, new GatewayError.NoSuchPath("There is no "
                + req.prologue().method().text() + " " + req.path().path() + " on this gateway. Gemini clients use the base URL /genai "
                + "(POST /genai/v1beta/models/{model}:streamGenerateContent?alt=sse).")));
    }

    private void handle(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        // Gateway model names may hold a slash (anthropic/claude-...): everything after models/ is "{model}:{method}".
        String segment = PREFIXES.stream().filter(path::startsWith).findFirst().map(p -> path.substring(p.length())).orElse(path);
        int colon = segment.lastIndexOf(':');
        String model = colon < 0 ? segment : segment.substring(0, colon);
        String method = colon < 0 ? "" : segment.substring(colon + 1);
        boolean stream;
        switch (method) {
            case "generateContent", "countTokens" -> stream = false;
            case "streamGenerateContent" -> stream = true;
            default -> {
                ApiHandler.refuse(RequestTrace.of(req), res, Api.GEMINI, new GatewayError.NoSuchPath("Unknown method '" + method
                        + "': use :generateContent, :streamGenerateContent or :countTokens."));
                return;
            }
        }
        if (method.equals("countTokens")) {
            handler.handle(req, res, Api.GEMINI, "", (body, snapshot, trace) -> new Call(Api.GEMINI, model, false, body, Map.of(), snapshot, trace),
                    (call, rq, rs) -> countTokens(call, handler.pipeline().authorizedRoute(call, rq), rs));
            return;
        }
        handler.handle(req, res, Api.GEMINI, "", (body, snapshot, trace) -> {
            if (body.token("contents").filter(t -> t == JsonToken.START_ARRAY).isEmpty()) {
                throw new InvalidJsonException("'contents' is required: a list of {role, parts}", "contents");
            }
            return new Call(Api.GEMINI, model, stream, body, Map.of(), snapshot, trace);
        });
    }

    /**
     * Google's model list: {@code models} of {name: "models/<id>", displayName, supportedGenerationMethods,
     * ...}, paged by {@code pageSize} (default 50, at most 1000) and {@code pageToken}; only what the key may use.
     */
    private void models(ServerRequest req, ServerResponse res) {
        switch (ModelListing.of(handler.pipeline().gate(), handler.policy().forRequest(), req)) {
            case ModelListing.Refused refused -> GoogleErrors.send(res, refused.error());
            case ModelListing.Listed listed -> {
                List<ModelListing.Entry> all = listed.models();
                int size;
                int from;
                try {
                    size = Math.min(1000, Integer.parseInt(req.query().first("pageSize").orElse("50")));
                    from = Integer.parseInt(req.query().first("pageToken").filter(t -> !t.isEmpty()).orElse("0"));
                } catch (NumberFormatException e) {
                    size = -1;
                    from = -1;
                }
                if (size < 1 || from < 0) {
                    GoogleErrors.send(res, new GatewayError.BadRequest("'pageSize' must be a whole number from 1 to 1000 and "
                            + "'pageToken' the nextPageToken of the previous page.", "pageSize"));
                    return;
                }
                int to = Math.min(all.size(), from + size);
                ObjectNode root = JsonBody.MAPPER.createObjectNode();
                ArrayNode models = root.putArray("models");
                all.subList(Math.min(from, to), to).forEach(m -> models.add(model(m)));
                if (to < all.size()) {
                    root.put("nextPageToken", Integer.toString(to));
                }
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(JsonBody.utf8(root.toString()));
            }
        }
    }

    /** {@code GET models/{id}} (the id may hold a slash); a POST's {@code {model}:{method}} never comes here. */
    private void model(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        String id = PREFIXES.stream().filter(path::startsWith).findFirst().map(p -> path.substring(p.length())).orElse(path);
        ModelListing.answerOne(handler.pipeline().gate(), handler.policy().forRequest(), req, res, id, Api.GEMINI, GeminiSurface::model);
    }

    private static ObjectNode model(ModelListing.Entry m) {
        ObjectNode o = JsonBody.MAPPER.createObjectNode().put("name", "models/" + m.name()).put("version", "tollgate")
                .put("displayName", m.name()).put("description", "Served by provider '" + m.owner() + "' through Tollgate.");
        ArrayNode methods = o.putArray("supportedGenerationMethods");
        methods.add("generateContent").add("streamGenerateContent").add("countTokens");
        // Google's own fields for what the gateway knows of the model.
        if (m.facts().contextWindow() != null) {
            o.put("inputTokenLimit", m.facts().contextWindow());
        }
        if (m.facts().maxOutputTokens() != null) {
            o.put("outputTokenLimit", m.facts().maxOutputTokens());
        }
        if (m.facts().reasoning() != null) {
            o.put("thinking", m.facts().reasoning());
        }
        return o;
    }

    /** Gemini models count with Gemini; for others the gateway estimates about four bytes per token. */
    private void countTokens(Call call, Route route, ServerResponse res) throws GatewayException {
        if (handler.pipeline().dispatcher().countTokens(call, route.targets().getFirst(), res)) {
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(JsonBody.utf8("{\"totalTokens\":" + Math.max(1, call.body().bytes().length / 4) + "}"));
    }
}
