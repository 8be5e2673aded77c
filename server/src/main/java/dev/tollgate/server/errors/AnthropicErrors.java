package dev.tollgate.server.errors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/** Renders a {@link GatewayError} as Anthropic's error JSON: {@code {"type":"error","error":{type,message}}}. */
public final class AnthropicErrors {

    private AnthropicErrors() {
    }

    public static void send(ServerResponse res, GatewayError error) {
        res.status(Status.create(error.status()));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        error.headers().forEach(res::header);
        res.send(JsonBody.utf8(body(error).toString()));
    }

    /** The whole error object; a stream's {@code error} event carries the same. */
    public static ObjectNode body(GatewayError error) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        root.put("type", "error");
        root.putObject("error").put("type", type(error.status())).put("message", error.message());
        return root;
    }

    /** Anthropic's error types follow the status. */
    static String type(int status) {
        return switch (status) {
            case 400, 415, 422, 431 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 504 -> "timeout_error";
            case 529, 503 -> "overloaded_error";
            default -> "api_error";
        };
    }
}
