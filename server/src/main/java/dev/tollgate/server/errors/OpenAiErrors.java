package dev.tollgate.server.errors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/** Renders a {@link GatewayError} as OpenAI's error JSON: {@code {"error":{message,type,param,code}}}. */
public final class OpenAiErrors {

    private OpenAiErrors() {
    }

    public static void send(ServerResponse res, GatewayError error) {
        res.status(Status.create(error.status()));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        if (error instanceof GatewayError.Draining) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        res.send(JsonBody.utf8(body(error).toString()));
    }

    /** The error object alone, also used inside stream error events. */
    public static ObjectNode body(GatewayError error) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", error.message());
        e.put("type", type(error));
        switch (error) {
            case GatewayError.BadRequest b -> e.put("param", b.param());
            case GatewayError.ModelNotFound m -> e.put("param", "model");
            default -> e.putNull("param");
        }
        e.put("code", code(error));
        return root;
    }

    private static String type(GatewayError error) {
        return switch (error) {
            case GatewayError.BadRequest b -> "invalid_request_error";
            case GatewayError.ModelNotFound m -> "invalid_request_error";
            case GatewayError.BodyTooLarge b -> "invalid_request_error";
            case GatewayError.UnknownPath u -> "invalid_request_error";
            case GatewayError.NoSuchPath u -> "invalid_request_error";
            case GatewayError.ProviderNotReady p -> "server_error";
            case GatewayError.UpstreamFailed u -> "server_error";
            case GatewayError.UpstreamTimeout t -> "server_error";
            case GatewayError.UpstreamRejected r -> r.status() == 429 ? "rate_limit_error" : r.status() < 500 ? "invalid_request_error" : "server_error";
            case GatewayError.Draining d -> "server_error";
        };
    }

    private static String code(GatewayError error) {
        return switch (error) {
            case GatewayError.BadRequest b -> "invalid_request";
            case GatewayError.ModelNotFound m -> "model_not_found";
            case GatewayError.BodyTooLarge b -> "request_too_large";
            case GatewayError.UnknownPath u -> "unknown_url";
            case GatewayError.NoSuchPath u -> "unknown_url";
            case GatewayError.ProviderNotReady p -> "provider_not_ready";
            case GatewayError.UpstreamFailed u -> "upstream_error";
            case GatewayError.UpstreamTimeout t -> "upstream_timeout";
            case GatewayError.UpstreamRejected r -> r.status() == 429 ? "rate_limit_exceeded" : "upstream_error";
            case GatewayError.Draining d -> "shutting_down";
        };
    }
}
