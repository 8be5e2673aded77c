package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Vertex AI's model endpoints,
 * {@code /v1/projects/{p}/locations/{l}/publishers/{google|anthropic}/models/{model}:{method}}, each
 * requiring a live token from {@link VertexAuth}. Google's models answer in the Gemini format;
 * Anthropic's in Messages, from a body that names no model and carries Vertex's anthropic_version.
 */
final class VertexEndpoints {
    static final String ANTHROPIC_VERSION = "vertex-2023-10-16";

    private final ModelCalls calls;
    private final VertexAuth auth;
    private final RequestLog log;

    VertexEndpoints(ModelCalls calls, VertexAuth auth, RequestLog log) {
        this.calls = calls;
        this.auth = auth;
        this.log = log;
    }

    void register(HttpRouting.Builder r) {
        auth.register(r);
        r.post("/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{spec}", this::call);
        r.post("/v1beta1/projects/{project}/locations/{location}/publishers/{publisher}/models/{spec}", this::call);
    }

    private void call(ServerRequest req, ServerResponse res) throws IOException {
        byte[] body = req.content().hasEntity() ? req.content().inputStream().readAllBytes() : new byte[0];
        log.record(req, body);
        if (!auth.admit(req, res)) {
            return;
        }
        String publisher = req.path().pathParameters().get("publisher");
        String spec = req.path().pathParameters().get("spec");
        int colon = spec.lastIndexOf(':');
        String model = colon < 0 ? spec : spec.substring(0, colon);
        String method = colon < 0 ? "" : spec.substring(colon + 1);
        switch (publisher + ":" + method) {
            case "google:generateContent" -> calls.handle(req, res, GeminiFormat.INSTANCE, ModelCalls.Op.GENERATE, model, true, body);
            case "google:streamGenerateContent" -> calls.handle(req, res, GeminiFormat.INSTANCE, ModelCalls.Op.STREAM_GENERATE, model,
                    req.query().first("alt").orElse("").equals("sse"), body);
            case "google:countTokens" -> calls.handle(req, res, GeminiFormat.INSTANCE, ModelCalls.Op.COUNT_TOKENS, model, true, body);
            case "anthropic:rawPredict", "anthropic:streamRawPredict" -> {
                String wrong = claudeBodyProblem(body);
                if (wrong != null) {
                    ModelCalls.sendError(res, AnthropicFormat.INSTANCE, Status.BAD_REQUEST_400.code(), wrong);
                    return;
                }
                calls.handle(req, res, AnthropicFormat.INSTANCE,
                        method.equals("streamRawPredict") ? ModelCalls.Op.STREAM_GENERATE : ModelCalls.Op.GENERATE, model, true, body);
            }
            default -> ModelCalls.sendError(res, GeminiFormat.INSTANCE, Status.NOT_FOUND_404.code(), "Publisher '" + publisher
                    + "' has no method '" + method + "' here (provider-sim knows google: generateContent, streamGenerateContent, "
                    + "countTokens; anthropic: rawPredict, streamRawPredict).");
        }
    }

    /** Vertex refuses a Messages body that names the model or lacks its anthropic_version. */
    private static String claudeBodyProblem(byte[] body) {
        JsonNode root;
        try {
            root = Json.parse(body);
        } catch (IOException e) {
            return null; // ModelCalls answers a body that is not JSON
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        if (root.has("model")) {
            return "model: Extra inputs are not permitted (on Vertex AI the model is in the URL)";
        }
        if (!ANTHROPIC_VERSION.equals(root.path("anthropic_version").asText())) {
            return "anthropic_version: must be " + ANTHROPIC_VERSION + " on Vertex AI";
        }
        return null;
    }
}
