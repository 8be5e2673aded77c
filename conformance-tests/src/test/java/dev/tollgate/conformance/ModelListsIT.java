package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.models.ModelInfo;
import com.anthropic.models.models.ModelListPage;
import com.anthropic.models.models.ModelListParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Model lists on the Anthropic surface (the official anthropic-java SDK) and the Gemini surface (plain
 * HTTP, Google's shape), each showing only the models the caller's key may use, like GET /v1/models.
 */
class ModelListsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Every catalog model, in policy order. */
    private static final List<String> ALL = List.of("claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5.5", "gemini-2.5-flash", "sim/echo");
    /** What the "narrow" key may use: its team denies gpt-*, the key allows claude-* and gemini-* only. */
    private static final List<String> NARROW = List.of("claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-flash");

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("model-lists", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: sim-anthropic, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: claude-sonnet-4-5, targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]}
                  - {name: claude-haiku-4-5, targets: [{provider: sim-anthropic, model: claude-haiku-4-5}]}
                  - {name: gpt-5.5, targets: [{provider: sim, model: gpt-5.5}]}
                  - {name: gemini-2.5-flash, targets: [{provider: sim, model: gpt-5.5}]}
                  - {name: sim/echo, targets: [{provider: sim, model: echo}]}
                customers: [{id: acme}]
                teams:
                  - {id: infra, customer: acme}
                  - {id: strict, customer: acme, deny_models: ["gpt-*"]}
                keys:
                  - {id: wide, team: infra, sha256: %s}
                  - {id: narrow, team: strict, sha256: %s, allow_models: ["claude-*", "gemini-*"]}
                """.formatted(KeyHash.sha256("tg-wide"), KeyHash.sha256("tg-narrow")));

    private static List<String> ids(Iterable<ModelInfo> models) {
        List<String> ids = new ArrayList<>();
        models.forEach(m -> ids.add(m.id()));
        return ids;
    }

    @Test
    void anthropicSdkListsOnlyWhatTheKeyMayUse() {
        AnthropicClient narrow = stack.anthropic("tg-narrow");
        AnthropicClient wide = stack.anthropic("tg-wide");
        ModelListPage page = narrow.models().list();
        assertEquals(NARROW, ids(page.data()));
        ModelInfo first = page.data().getFirst();
        assertEquals("claude-sonnet-4-5", first.displayName());
        assertEquals(1970, first.createdAt().getYear());
        assertEquals("claude-sonnet-4-5", page.firstId().orElseThrow());
        assertEquals("gemini-2.5-flash", page.lastId().orElseThrow());
        assertFalse(page.hasMore().orElseThrow());

        assertEquals(ALL, ids(wide.models().list().data()));
        // Pages of two, followed by the SDK's own auto-pager (after_id = last_id while has_more).
        ModelListPage two = wide.models().list(ModelListParams.builder().limit(2).build());
        assertEquals(ALL.subList(0, 2), ids(two.data()));
        assertTrue(two.hasMore().orElseThrow());
        List<String> paged = new ArrayList<>();
        two.autoPager().forEach(m -> paged.add(m.id()));
        assertEquals(ALL, paged);

        assertEquals("claude-haiku-4-5", narrow.models().retrieve("claude-haiku-4-5").id());
        assertThrows(NotFoundException.class, () -> narrow.models().retrieve("gpt-5.5"), "a model the key may not use is not there");
        assertThrows(UnauthorizedException.class, () -> stack.anthropic("tg-nobody").models().list());
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path))).header("x-goog-api-key", key).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void geminiListsInGooglesShapeOnlyWhatTheKeyMayUse() throws Exception {
        for (String base : List.of("/v1beta/models", "/genai/v1beta/models")) {
            HttpResponse<String> r = get(base, "tg-narrow");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode models = JSON.readTree(r.body()).path("models");
            List<String> names = new ArrayList<>();
            models.forEach(m -> names.add(m.path("name").asText()));
            assertEquals(NARROW.stream().map(n -> "models/" + n).toList(), names, base);
            JsonNode first = models.get(0);
            assertEquals("claude-sonnet-4-5", first.path("displayName").asText());
            List<String> methods = new ArrayList<>();
            first.path("supportedGenerationMethods").forEach(m -> methods.add(m.asText()));
            assertEquals(List.of("generateContent", "streamGenerateContent", "countTokens"), methods);
            assertFalse(JSON.readTree(r.body()).has("nextPageToken"));
        }

        // Pages by pageSize / nextPageToken, a key given as ?key= as Google's API allows.
        List<String> paged = new ArrayList<>();
        String token = "";
        do {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1beta/models?pageSize=2&key=tg-wide"
                    + (token.isEmpty() ? "" : "&pageToken=" + token)))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode page = JSON.readTree(r.body());
            assertTrue(page.path("models").size() <= 2);
            page.path("models").forEach(m -> paged.add(m.path("name").asText().substring("models/".length())));
            token = page.path("nextPageToken").asText("");
        } while (!token.isEmpty());
        assertEquals(ALL, paged);

        HttpResponse<String> one = get("/genai/v1beta/models/gemini-2.5-flash", "tg-narrow");
        assertEquals(200, one.statusCode(), one.body());
        assertEquals("models/gemini-2.5-flash", JSON.readTree(one.body()).path("name").asText());
        HttpResponse<String> slashed = get("/v1beta/models/sim/echo", "tg-wide");
        assertEquals(200, slashed.statusCode(), slashed.body());
        assertEquals("models/sim/echo", JSON.readTree(slashed.body()).path("name").asText());

        HttpResponse<String> denied = get("/v1beta/models/gpt-5.5", "tg-narrow");
        assertEquals(404, denied.statusCode(), denied.body());
        assertEquals("NOT_FOUND", JSON.readTree(denied.body()).path("error").path("status").asText());
        HttpResponse<String> unknownKey = get("/v1beta/models", "tg-nobody");
        assertEquals(401, unknownKey.statusCode(), unknownKey.body());
        assertEquals("UNAUTHENTICATED", JSON.readTree(unknownKey.body()).path("error").path("status").asText());
    }

    @Test
    void openAiSingleModelFollowsTheSameFilter() throws Exception {
        HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/models/sim/echo")))
                .header("authorization", "Bearer tg-wide").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("sim/echo", JSON.readTree(ok.body()).path("id").asText());
        HttpResponse<String> denied = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/models/gpt-5.5")))
                .header("authorization", "Bearer tg-narrow").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, denied.statusCode(), denied.body());
    }
}
