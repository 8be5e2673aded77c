package dev.tollgate.server.errors;

import dev.tollgate.providers.Api;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;

/** Errors in the client's own dialect: the API it called decides the shape. */
public final class Dialect {

    private Dialect() {
    }

    public static void send(Api api, ServerResponse res, GatewayError error) {
        switch (api) {
            case MESSAGES -> AnthropicErrors.send(res, error);
            case GEMINI -> GoogleErrors.send(res, error);
            case CHAT_COMPLETIONS, RESPONSES, RESPONSES_COMPACT, EMBEDDINGS, CONVERSE -> OpenAiErrors.send(res, error);
        }
    }

    /**
     * The dialect of a path, for answers given before (or outside) a surface: Anthropic's under
     * {@code /anthropic}, Google's under {@code /genai} and {@code /v1beta}, OpenAI's elsewhere.
     */
    public static Api ofPath(String path) {
        if (path == null) {
            return Api.CHAT_COMPLETIONS;
        }
        if (path.equals("/anthropic") || path.startsWith("/anthropic/")) {
            return Api.MESSAGES;
        }
        if (path.equals("/genai") || path.startsWith("/genai/") || path.equals("/v1beta") || path.startsWith("/v1beta/")) {
            return Api.GEMINI;
        }
        return Api.CHAT_COMPLETIONS;
    }

    /**
     * The dialect of a path as it came on the request line (query, dot segments and all), for answers
     * given before routing: that of the path Helidon would route it to, which resolves {@code .} and
     * {@code ..} segments first (so {@code /v1beta/models/../../v1/chat/completions} is OpenAI's, like
     * the answer its route gives).
     */
    public static Api ofRawPath(String raw) {
        if (raw == null) {
            return Api.CHAT_COMPLETIONS;
        }
        int end = raw.length();
        for (char c : new char[] {'?', '#'}) {
            int i = raw.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String path = raw.substring(0, end);
        if (path.contains("%") || path.contains(".") || path.contains("//")) {
            try {
                // As Helidon's UriPathNoParam decodes a path for routing (a leading "//" kept as one "/").
                path = java.net.URI.create(path.startsWith("//") ? path.substring(1) : path).normalize().getPath();
            } catch (IllegalArgumentException notAUri) {
                // Helidon refuses such a path before routing: the path as written decides
            }
        }
        return ofPath(path == null ? raw : path);
    }

    /** The whole error body in the dialect, as bytes (for answers written outside a routed response). */
    public static byte[] body(Api api, GatewayError error) {
        var body = switch (api) {
            case MESSAGES -> AnthropicErrors.body(error);
            case GEMINI -> GoogleErrors.body(error);
            case CHAT_COMPLETIONS, RESPONSES, RESPONSES_COMPACT, EMBEDDINGS, CONVERSE -> OpenAiErrors.body(error);
        };
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The event that ends a stream the client already has a 200 and some events of. */
    public static byte[] streamEvent(Api api, GatewayError error) {
        String event = switch (api) {
            case MESSAGES -> "event: error\ndata: " + AnthropicErrors.body(error) + "\n\n";
            case GEMINI -> "data: " + GoogleErrors.body(error) + "\n\n";
            case RESPONSES -> {
                var body = OpenAiErrors.body(error);
                var failed = body.objectNode();
                failed.put("type", "response.failed");
                var response = failed.putObject("response");
                response.put("status", "failed");
                response.set("error", body.get("error"));
                yield "event: response.failed\ndata: " + failed + "\n\n";
            }
            // No client speaks Converse (Bedrock is only an upstream).
            case CHAT_COMPLETIONS, EMBEDDINGS, CONVERSE, RESPONSES_COMPACT -> "data: " + OpenAiErrors.body(error) + "\n\n";
        };
        return event.getBytes(StandardCharsets.UTF_8);
    }
}
