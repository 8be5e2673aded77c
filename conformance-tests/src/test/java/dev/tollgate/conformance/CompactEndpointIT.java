package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code POST {base}/responses/compact} with a plain HTTP client against the real gateway and
 * simulator: passed through unchanged to OpenAI; on Anthropic and on an OpenAI-compatible server the
 * gateway compacts itself and answers the endpoint's shape with its sealed item; either way governed
 * (key, request log, charge). A sealed item later sent to an OpenAI model reaches it opened.
 */
class CompactEndpointIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String POLICY = """
            providers:
              - {id: sim-openai, kind: openai, base_url: "http://127.0.0.1:SIM_PORT/v1", credential: "env:TG_TEST_SIM_OPENAI_KEY"}
              - {id: sim-compatible, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
              - {id: sim-anthropic, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
            models:
              - name: gpt-5.5
                targets: [{provider: sim-openai, model: gpt-5.5}]
              - name: compat/gpt-5.5
                targets: [{provider: sim-compatible, model: gpt-5.5}]
              - name: anthropic/claude-sonnet-4-5
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
            pricing:
              - {model: gpt-5.5, input: 1.25, output: 10}
              - {model: compat/gpt-5.5, input: 1.25, output: 10}
              - {model: anthropic/claude-sonnet-4-5, input: 3, output: 15}
            admins:
              - {id: ops, role: viewer, sha256: %s}
            customers: [{id: acme}]
            teams:
              - {id: infra, customer: acme}
            keys:
              - {id: dev, team: infra, sha256: %s, budgets: [{amount_usd: 100, period: daily}]}
            """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"));

    @RegisterExtension
    static final StackExtension stack = StackExtension.starting(() -> Stack.start("compact", POLICY,
            Map.of("TG_TEST_SIM_OPENAI_KEY", "sk-sim-test"))).clearingSim(StackExtension.REQUESTS);

    /** A short Codex-like history: instructions, a user turn, a tool round trip, the answer. */
    private static ObjectNode history(String model) {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("instructions", "You are Codex.");
        ArrayNode input = body.putArray("input");
        input.addObject().put("type", "message").put("role", "user").putArray("content").addObject()
                .put("type", "input_text").put("text", "list the files");
        input.addObject().put("type", "function_call").put("call_id", "call_1").put("name", "exec_command").put("arguments", "{\"cmd\":\"ls\"}");
        input.addObject().put("type", "function_call_output").put("call_id", "call_1").put("output", "README.md\npom.xml");
        input.addObject().put("type", "message").put("role", "assistant").putArray("content").addObject()
                .put("type", "output_text").put("text", "Two files: README.md and pom.xml.");
        return body;
    }

    private static HttpResponse<String> post(String path, String key, JsonNode body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stack.get().gateway(path))).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (key != null) {
            b.header("authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The request log's rows of key dev since {@code since}, once {@code n} are there (it is written off the request path). */
    private static List<JsonNode> logged(Instant since, int n) throws Exception {
        HttpRequest search = HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/requests?key=dev&limit=200")))
                .header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<JsonNode> rows = new ArrayList<>();
            JSON.readTree(HTTP.send(search, HttpResponse.BodyHandlers.ofString()).body()).path("requests").forEach(r -> {
                if (!Instant.parse(r.path("time").asText()).isBefore(since)) {
                    rows.add(r);
                }
            });
            if (rows.size() >= n || System.nanoTime() > deadline) {
                return rows;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void onOpenAiTheEndpointPassesThroughUnchangedOnEveryBasePath() throws Exception {
        Instant start = Instant.now();
        for (String base : List.of("/v1", "/openai/v1", "/openai")) {
            ObjectNode sent = history("gpt-5.5");
            HttpResponse<String> res = post(base + "/responses/compact", "tg-dev", sent);
            assertEquals(200, res.statusCode(), base + ": " + res.body());
            JsonNode answer = JSON.readTree(res.body());
            assertEquals("response.compaction", answer.path("object").asText(), res.body());
            JsonNode last = answer.path("output").get(answer.path("output").size() - 1);
            assertEquals("compaction", last.path("type").asText());
            assertTrue(last.path("encrypted_content").asText().startsWith("sim-compaction:"), "the provider's own item: " + last);
        }
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/responses/compact");
        assertEquals(3, calls.size(), SimRequests.all(stack.get()));
        assertEquals(history("gpt-5.5").path("input"), calls.getFirst().path("body").path("input"), "the history went up unchanged");
        assertEquals("You are Codex.", calls.getFirst().path("body").path("instructions").asText());
        assertEquals(0, SimRequests.to(stack.get(), "/v1/responses").size(), "no other call was made");

        List<JsonNode> rows = logged(start, 3);
        assertEquals(3, rows.size(), rows.toString());
        for (JsonNode row : rows) {
            assertEquals(200, row.path("status").asInt(), row.toString());
            assertEquals("responses.compact", row.path("api").asText(), row.toString());
            assertTrue(row.path("cost_usd").asDouble() > 0, "charged for the provider's usage: " + row);
        }
    }

    @Test
    void onClaudeTheGatewayCompactsAndTheNextTurnGetsTheSummary() throws Exception {
        Instant start = Instant.now();
        HttpResponse<String> res = post("/v1/responses/compact", "tg-dev", history("anthropic/claude-sonnet-4-5"));
        assertEquals(200, res.statusCode(), res.body());
        JsonNode answer = JSON.readTree(res.body());
        assertEquals("response.compaction", answer.path("object").asText(), res.body());
        JsonNode output = answer.path("output");
        assertEquals(2, output.size(), "the user message as sent, then one compaction item: " + output);
        assertEquals(history("x").path("input").get(0), output.get(0));
        assertEquals("compaction", output.get(1).path("type").asText());
        assertTrue(output.get(1).path("encrypted_content").asText().startsWith("tgc1."), output.toString());
        assertTrue(answer.path("usage").path("input_tokens").asInt() > 0, "the summary call's usage: " + res.body());

        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(1, calls.size(), SimRequests.all(stack.get()));
        JsonNode summaryCall = calls.getFirst().path("body");
        JsonNode messages = summaryCall.path("messages");
        assertTrue(messages.get(messages.size() - 1).toString().contains("Context compaction"), "asked for a summary: " + messages);
        assertTrue(messages.toString().contains("README.md"), "of the whole history: " + messages);
        assertEquals("none", summaryCall.path("tool_choice").path("type").asText("none"), summaryCall.path("tool_choice").toString());

        // The next turn carries the compacted history; the provider gets the summary, never the sealed form.
        ObjectNode next = JSON.createObjectNode().put("model", "anthropic/claude-sonnet-4-5");
        ArrayNode input = next.putArray("input");
        input.addAll((ArrayNode) output.deepCopy());
        input.addObject().put("type", "message").put("role", "user").put("content", "go on");
        HttpResponse<String> turn = post("/v1/responses", "tg-dev", next);
        assertEquals(200, turn.statusCode(), turn.body());
        String after = SimRequests.to(stack.get(), "/v1/messages").getLast().path("body").path("messages").toString();
        assertTrue(after.contains("compacted by the gateway"), after);
        assertFalse(after.contains("tgc1."), after);

        List<JsonNode> rows = logged(start, 2);
        assertEquals(2, rows.size(), rows.toString());
        JsonNode compactRow = rows.getLast(); // newest first
        assertEquals("responses.compact", compactRow.path("api").asText(), compactRow.toString());
        assertTrue(compactRow.path("cost_usd").asDouble() > 0, "the summary is charged: " + compactRow);
    }

    @Test
    void onAnOpenAiCompatibleServerTheGatewayCompactsThroughItsChatApi() throws Exception {
        HttpResponse<String> res = post("/v1/responses/compact", "tg-dev", history("compat/gpt-5.5"));
        assertEquals(200, res.statusCode(), res.body());
        JsonNode output = JSON.readTree(res.body()).path("output");
        assertTrue(output.get(output.size() - 1).path("encrypted_content").asText().startsWith("tgc1."), output.toString());
        assertEquals(0, SimRequests.to(stack.get(), "/responses/compact").size(), "a compatible server has no compaction endpoint");
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/chat/completions");
        assertEquals(1, calls.size(), SimRequests.all(stack.get()));
        JsonNode body = calls.getFirst().path("body");
        assertTrue(body.path("messages").toString().contains("Context compaction"), body.toString());
        assertEquals("none", body.path("tool_choice").asText(), "a summary, not an action");
    }

    @Test
    void aSealedItemReachesAnOpenAiModelOpened() throws Exception {
        JsonNode compacted = JSON.readTree(post("/v1/responses/compact", "tg-dev", history("anthropic/claude-sonnet-4-5")).body());
        ObjectNode next = JSON.createObjectNode().put("model", "gpt-5.5").put("stream", true);
        ArrayNode input = next.putArray("input");
        input.addAll((ArrayNode) compacted.path("output").deepCopy());
        input.addObject().put("type", "message").put("role", "user").put("content", "go on");
        HttpResponse<String> res = post("/v1/responses", "tg-dev", next);
        assertEquals(200, res.statusCode(), res.body());
        assertTrue(res.body().contains("response.completed"), res.body());

        JsonNode sent = SimRequests.to(stack.get(), "/v1/responses").getLast().path("body").path("input");
        assertFalse(sent.toString().contains("tgc1."), "OpenAI cannot read the gateway's sealed item: " + sent);
        assertFalse(sent.toString().contains("\"type\":\"compaction\""), sent.toString());
        assertEquals(3, sent.size(), sent.toString());
        assertEquals("user", sent.get(1).path("role").asText());
        assertTrue(sent.get(1).path("content").get(0).path("text").asText().contains("compacted by the gateway"), sent.toString());
        assertEquals("go on", sent.get(2).path("content").asText(), "the other items are as sent");
    }

    @Test
    void clientMistakesAreOpenAiErrorsAndReachNoProvider() throws Exception {
        HttpResponse<String> noKey = post("/v1/responses/compact", null, history("gpt-5.5"));
        assertEquals(401, noKey.statusCode(), noKey.body());
        assertTrue(JSON.readTree(noKey.body()).path("error").has("message"), noKey.body());
        ObjectNode noModel = history("gpt-5.5");
        noModel.remove("model");
        HttpResponse<String> missing = post("/v1/responses/compact", "tg-dev", noModel);
        assertEquals(400, missing.statusCode(), missing.body());
        assertTrue(JSON.readTree(missing.body()).path("error").path("message").asText().contains("'model' is required"), missing.body());
        ObjectNode badInput = history("gpt-5.5").put("input", 7);
        assertEquals(400, post("/v1/responses/compact", "tg-dev", badInput).statusCode());
        assertEquals("[]", SimRequests.all(stack.get()).strip(), "nothing reached the provider");
    }
}
