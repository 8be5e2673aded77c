package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Model names are data, never URL syntax (issue 21): names that would walk out of their path
 * segment, add a query or reach another endpoint get a 400 in the client's dialect and never reach
 * the provider; names that are odd but legal reach it as one percent-encoded segment. Checked on
 * what the simulator received, for kinds gemini, vertex and azure-openai.
 */
class HostileModelNamesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String KEY = "tg-names-key";
    private static final String GEMINI_BODY = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}";
    private static Path keys;

    @RegisterExtension
    static final StackExtension stack = StackExtension.starting(HostileModelNamesIT::startStack).clearingSim(StackExtension.REQUESTS);

    private static Stack startStack() throws Exception {
        keys = Files.createTempDirectory("tollgate-names-keys-");
        return Stack.start("names", """
                providers:
                  - {id: simgem, kind: gemini, base_url: "http://127.0.0.1:SIM_PORT/v1beta"}
                  - {id: az, kind: azure-openai, base_url: "http://127.0.0.1:SIM_PORT"}
                  - id: vertex
                    kind: vertex
                    base_url: http://127.0.0.1:SIM_PORT
                    credential: file:%s
                    settings: {project: tollgate-test, location: us-east5}
                pricing:
                  - {model: simgem/cheap, input: 0.01, output: 0.01}
                  - {model: simgem/priced, input: 1000, output: 1000}
                customers: [{id: acme}]
                # The odd-but-legal names are test models nobody priced: served at $0 on purpose here.
                teams: [{id: infra, customer: acme, unpriced: allow}]
                keys:
                  - {id: tight, team: infra, sha256: %s, deny_models: ["simgem/priced"], budgets: [{amount_usd: 0.001, period: total}]}
                """.formatted(keys.resolve("good.json"), KeyHash.sha256(KEY)));
    }

    @BeforeAll
    static void writeKey() throws Exception {
        ServiceAccountKey good = ServiceAccountKey.generate("gateway");
        Files.writeString(keys.resolve("good.json"), good.json(stack.get().sim("/token")));
        HttpResponse<String> configured = stack.get().put(stack.get().sim("/_sim/vertex"), JSON.writeValueAsString(Map.of(
                "public_key", good.publicKeyPem(), "token_ttl_seconds", 600)));
        assertEquals(200, configured.statusCode(), configured.body());
    }

    @AfterAll
    static void deleteKey() throws Exception {
        if (keys != null) {
            Files.deleteIfExists(keys.resolve("good.json"));
            Files.delete(keys);
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path)))
                .header("authorization", "Bearer " + KEY).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway(path))).header("authorization", "Bearer " + KEY).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode simRequests() throws Exception {
        return JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body());
    }

    private static String spent() throws Exception {
        HttpResponse<String> usage = get("/v1/usage");
        assertEquals(200, usage.statusCode(), usage.body());
        return JSON.readTree(usage.body()).toString();
    }

    /** A 400 in Google's dialect whose message says what a model name may hold. */
    private static void assertGoogle400(HttpResponse<String> r, String what) throws Exception {
        assertEquals(400, r.statusCode(), what + ": " + r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("INVALID_ARGUMENT", error.path("status").asText(), what + ": " + r.body());
        assertTrue(error.path("message").asText().contains("model name"), what + ": " + r.body());
    }

    @Test
    void theDeniedModelCannotBeReachedThroughAnEncodedTraversalNorSpendForFree() throws Exception {
        String before = spent();
        HttpResponse<String> denied = post("/genai/v1beta/models/simgem/priced:generateContent", GEMINI_BODY);
        assertEquals(403, denied.statusCode(), denied.body());
        for (int i = 0; i < 5; i++) {
            assertGoogle400(post("/genai/v1beta/models/simgem%2Fcheap%2F..%2Fpriced:generateContent", GEMINI_BODY), "encoded traversal");
        }
        assertGoogle400(post("/genai/v1beta/models/simgem/cheap/%2E%2E/priced:generateContent", GEMINI_BODY), "encoded dots");
        assertEquals(0, simRequests().size(), "nothing reached the provider: " + simRequests());
        assertEquals(before, spent(), "no spend, no reservation left behind");
    }

    @Test
    void namesThatAreUrlSyntaxAre400InEveryDialectAndNeverReachTheProvider() throws Exception {
        List<String> hostile = List.of("simgem/../../v1/chat/completions?x=", "simgem/x?key=stolen", "simgem/x#frag", "az/cheap/../priced",
                "az/x?api-version=1999", "vertex/cheap/../priced", "vertex/x%2F..", "simgem/with space", "simgem/cr\r\nx-injected: 1",
                "simgem/nul\u0000", "simgem/a|b", "simgem/{x}", "simgem/a\\b", "simgem//x", "simgem/./x", "x".repeat(300), "");
        for (String name : hostile) {
            String quoted = JSON.writeValueAsString(name);
            HttpResponse<String> openAi = post("/v1/chat/completions", "{\"model\":" + quoted + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertEquals(400, openAi.statusCode(), name + ": " + openAi.body());
            assertEquals("invalid_request_error", JSON.readTree(openAi.body()).path("error").path("type").asText(), openAi.body());
            assertEquals("model", JSON.readTree(openAi.body()).path("error").path("param").asText(), openAi.body());

            HttpResponse<String> anthropic = post("/anthropic/v1/messages", "{\"model\":" + quoted
                    + ",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertEquals(400, anthropic.statusCode(), name + ": " + anthropic.body());
            assertEquals("error", JSON.readTree(anthropic.body()).path("type").asText(), anthropic.body());
            assertEquals("invalid_request_error", JSON.readTree(anthropic.body()).path("error").path("type").asText(), anthropic.body());
        }
        // The Gemini surface takes the name from the path: each character percent-encoded there.
        for (String encoded : List.of("simgem%2F..%2F..%2Fv1%2Fchat%2Fcompletions%3Fx%3D", "simgem%2Fx%3Fkey%3Dstolen", "simgem%2Fx%23frag",
                "vertex%2Fcheap%2F..%2Fpriced", "simgem%2Fa%252Fb", "simgem%2Fwith%20space", "simgem%2Fcr%0D%0Ax", "simgem%2Fnul%00",
                "simgem%2Fa%7Cb", "simgem%2F%7Bx%7D", "simgem%2Fa%5Cb")) {
            assertGoogle400(post("/genai/v1beta/models/" + encoded + ":generateContent", GEMINI_BODY), encoded);
            assertGoogle400(post("/v1beta/models/" + encoded + ":streamGenerateContent?alt=sse", GEMINI_BODY), encoded);
        }
        // GET models/{id} and the client's fallbacks header are names too.
        HttpResponse<String> one = get("/v1/models/simgem%2F..%2Fx");
        assertEquals(400, one.statusCode(), one.body());
        HttpResponse<String> fallbacks = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/chat/completions")))
                .header("authorization", "Bearer " + KEY).header("content-type", "application/json")
                .header("x-tollgate-fallbacks", "simgem/cheap/../priced")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"az/dep\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, fallbacks.statusCode(), fallbacks.body());
        assertTrue(fallbacks.body().contains("x-tollgate-fallbacks"), fallbacks.body());
        assertEquals(0, simRequests().size(), "nothing reached the provider: " + simRequests());
    }

    @Test
    void oddButLegalNamesReachTheProviderAsOneEncodedSegment() throws Exception {
        HttpResponse<String> gemini = post("/genai/v1beta/models/simgem/gem:v1:generateContent", GEMINI_BODY);
        assertEquals(200, gemini.statusCode(), gemini.body());
        HttpResponse<String> azure = post("/v1/chat/completions", "{\"model\":\"az/dep:v1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, azure.statusCode(), azure.body());
        HttpResponse<String> vertex = post("/genai/v1beta/models/vertex/gemini-2.5-pro:v1:generateContent", GEMINI_BODY);
        assertEquals(200, vertex.statusCode(), vertex.body());

        List<String> paths = new java.util.ArrayList<>();
        simRequests().forEach(r -> paths.add(r.path("path").asText()));
        paths.remove("/token");
        assertEquals(List.of("/v1beta/models/gem%3Av1:generateContent", "/openai/deployments/dep%3Av1/chat/completions",
                "/v1/projects/tollgate-test/locations/us-east5/publishers/google/models/gemini-2.5-pro%3Av1:generateContent"), paths);
        for (JsonNode r : simRequests()) {
            if (r.path("path").asText().startsWith("/openai/")) {
                assertEquals("api-version=2024-10-21", r.path("query").asText(), r.toString());
            } else if (!r.path("path").asText().equals("/token")) {
                assertTrue(r.path("query").isNull() || r.path("query").asText().isEmpty(), r.toString());
            }
        }
    }
}
