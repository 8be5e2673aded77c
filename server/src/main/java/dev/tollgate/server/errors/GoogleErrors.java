package dev.tollgate.server.errors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.telemetry.RequestTrace;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/** Renders a {@link GatewayError} as Google's error JSON: {@code {"error":{code,message,status}}}. */
public final class GoogleErrors {

    private GoogleErrors() {
    }

    public static void send(ServerResponse res, GatewayError error) {
        RequestTrace.current().error(error);
        res.status(Status.create(error.status()));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        error.headers().forEach(res::header);
        res.send(JsonBody.utf8(body(error).toString()));
    }

    public static ObjectNode body(GatewayError error) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        root.putObject("error").put("code", error.status()).put("message", error.message()).put("status", status(error.status()));
        return root;
    }

    /** Google's canonical status names follow the HTTP status. */
    static String status(int http) {
        return switch (http) {
            case 400, 413 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> "INTERNAL";
        };
    }
}
