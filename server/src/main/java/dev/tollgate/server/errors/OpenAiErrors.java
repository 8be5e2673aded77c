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
        error.headers().forEach(res::header);
        res.send(JsonBody.utf8(body(error).toString()));
    }

    /** The error object alone, also used inside stream error events. */
    public static ObjectNode body(GatewayError error) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        ObjectNode e = root.putObject("error");
        Shape shape = shape(error);
        e.put("message", error.message());
        e.put("type", shape.type());
        switch (error) {
            case GatewayError.BadRequest b -> e.put("param", b.param());
            case GatewayError.ModelNotFound m -> e.put("param", "model");
            case GatewayError.ModelDenied m -> e.put("param", "model");
            case GatewayError.ModelUnpriced m -> e.put("param", "model");
            default -> e.putNull("param");
        }
        e.put("code", shape.code());
        return root;
    }

    /** OpenAI's {@code type} and {@code code} for each variant. */
    private record Shape(String type, String code) {
    }

    private static Shape shape(GatewayError error) {
        return switch (error) {
            case GatewayError.BadRequest b -> new Shape("invalid_request_error", "invalid_request");
            case GatewayError.ModelNotFound m -> new Shape("invalid_request_error", "model_not_found");
            case GatewayError.BodyTooLarge b -> new Shape("invalid_request_error", "request_too_large");
            case GatewayError.UnknownPath u -> new Shape("invalid_request_error", "unknown_url");
            case GatewayError.NoSuchPath u -> new Shape("invalid_request_error", "unknown_url");
            case GatewayError.HttpRefused h -> new Shape("invalid_request_error", switch (h.status()) {
                case 415 -> "unsupported_content_encoding";
                case 431 -> "headers_too_large";
                case 413 -> "request_too_large";
                default -> "invalid_http_request";
            });
            case GatewayError.Internal i -> new Shape("server_error", "internal_error");
            case GatewayError.ProviderNotReady p -> new Shape("server_error", "provider_not_ready");
            case GatewayError.UpstreamFailed u -> new Shape("server_error", "upstream_error");
            case GatewayError.UpstreamTimeout t -> new Shape("server_error", "upstream_timeout");
            case GatewayError.UpstreamRejected r -> r.status() == 429 ? new Shape("rate_limit_error", "rate_limit_exceeded")
                    : new Shape(r.status() < 500 ? "invalid_request_error" : "server_error", "upstream_error");
            case GatewayError.Draining d -> new Shape("server_error", "shutting_down");
            case GatewayError.Overloaded o -> new Shape("server_error", "overloaded");
            case GatewayError.SharedStateUnreachable s -> new Shape("server_error", "shared_state_unreachable");
            case GatewayError.Unauthorized u -> new Shape("invalid_request_error", switch (u.reason()) {
                case MISSING -> "missing_api_key";
                case UNKNOWN -> "invalid_api_key";
                case EXPIRED -> "expired_api_key";
                case REVOKED -> "revoked_api_key";
            });
            case GatewayError.ModelDenied m -> new Shape("invalid_request_error", "model_not_allowed");
            case GatewayError.ModelUnpriced m -> new Shape("invalid_request_error", "model_not_priced");
            case GatewayError.RateLimited r -> new Shape("rate_limit_error", "rate_limit_exceeded");
            case GatewayError.SessionPaused p -> new Shape("rate_limit_error", "session_paused");
            // Not "insufficient_quota": Codex replaces that code's message with its own about billing plans.
            case GatewayError.BudgetExhausted b -> new Shape("budget_exceeded", "budget_exceeded");
        };
    }
}
