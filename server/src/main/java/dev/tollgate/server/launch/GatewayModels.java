package dev.tollgate.server.launch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.policy.ModelFacts;
import dev.tollgate.providers.json.JsonBody;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The models a key may use, from the gateway's {@code GET /v1/models} (the gateway filters it by the key's allowlist). */
final class GatewayModels {

    /** A model the key may use and what the gateway says of it (unknown facts are null). */
    record Offered(String id, ModelFacts facts) {
    }

    /** Why the list could not be had, in words for the terminal. */
    static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private GatewayModels() {
    }

    static List<Offered> fetch(String gateway, String key) throws Unavailable {
        HttpResponse<String> r;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            r = client.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/models"))
                    .header("authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IllegalArgumentException e) {
            throw new Unavailable("'" + gateway + "' is not a URL like http://127.0.0.1:8080 (--gateway or TOLLGATE_URL)");
        } catch (java.net.ConnectException e) {
            throw new Unavailable("no gateway answers at " + gateway + " (connection refused). Is it running? Name another with --gateway URL or TOLLGATE_URL.");
        } catch (java.io.IOException e) {
            throw new Unavailable("cannot reach " + gateway + " (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "). Name the gateway with --gateway URL or TOLLGATE_URL.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        }
        JsonNode body;
        try {
            body = JsonBody.MAPPER.readTree(r.body());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new Unavailable(gateway + " answered with something other than Tollgate's JSON (HTTP " + r.statusCode() + "): is it the gateway?");
        }
        if (r.statusCode() != 200) {
            throw new Unavailable("the gateway refused the key (HTTP " + r.statusCode() + "): " + body.path("error").path("message").asText(r.body()));
        }
        List<Offered> models = new ArrayList<>();
        body.path("data").forEach(m -> models.add(new Offered(m.path("id").asText(), new ModelFacts(whole(m, "context_window"),
                whole(m, "max_output_tokens"), m.path("reasoning").isBoolean() ? m.path("reasoning").booleanValue() : null,
                m.path("input_modalities").isArray() ? m.path("input_modalities").toString().contains("\"image\"") : null))));
        return models;
    }

    private static Long whole(JsonNode m, String field) {
        JsonNode n = m.path(field);
        return n.canConvertToLong() && n.isIntegralNumber() && n.longValue() > 0 ? n.longValue() : null;
    }
}
