package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a Responses client asks for beyond the conversation, on models of other formats: carried
 * (web search), dropped and recorded in the request log (verbosity, Codex's cached search and
 * tool_search, reasoning another provider made), or refused before any upstream call.
 */
class HostedToolsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("hosted-tools", """
            providers:
              - {id: sim-anthropic, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
              - {id: sim-gemini, kind: gemini, base_url: "http://127.0.0.1:SIM_PORT/v1beta"}
            models:
              - {name: claude, targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]}
              - {name: gemini, targets: [{provider: sim-gemini, model: gemini-2.5-flash}]}
              - {name: gemini3, targets: [{provider: sim-gemini, model: gemini-3-flash-preview}]}
            admins:
              - {id: ops, role: viewer, sha256: %s}
            """.formatted(KeyHash.sha256("admin-token"))).clearingSim(StackExtension.REQUESTS);

    private static final String EXEC = "{\"type\":\"function\",\"name\":\"exec_command\",\"parameters\":{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\"}}}}";

    /** The request log's record of a request, once the writer has it. */
    private static JsonNode logged(HttpResponse<String> r) throws Exception {
        String id = r.headers().firstValue("x-tollgate-request-id").orElseThrow();
        HttpRequest get = HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/requests/" + id)))
                .header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            HttpResponse<String> found = HTTP.send(get, HttpResponse.BodyHandlers.ofString());
            if (found.statusCode() == 200) {
                JsonNode body = JSON.readTree(found.body());
                return body.has("request") ? body.path("request") : body;
            }
            assertTrue(System.nanoTime() < deadline, "request " + id + " never reached the request log: " + found.body());
            Thread.sleep(20);
        }
    }

    private static JsonNode droppedOfLastAttempt(JsonNode record) {
        JsonNode attempts = record.path("attempts");
        return attempts.get(attempts.size() - 1).path("dropped");
    }

    @Test
    void codexsDefaultsAreDroppedAndRecordedNotSentToClaude() throws Exception {
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/v1/responses"), """
                {"model":"claude","stream":true,"text":{"verbosity":"low"},"reasoning":{"effort":"low","summary":"auto"},
                 "tools":[%s,{"type":"tool_search","execution":"client","parameters":{"type":"object"}},
                          {"type":"web_search","external_web_access":false}],
                 "input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]},
                          {"type":"reasoning","summary":[],"encrypted_content":"gAAAAopenai-encrypted"},
                          {"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]},
                          {"role":"user","content":[{"type":"input_text","text":"again"}]}]}
                """.formatted(EXEC));
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(1, calls.size());
        JsonNode tools = calls.get(0).path("body").path("tools");
        assertEquals(1, tools.size(), "only the function reaches Claude: " + tools);
        assertFalse(calls.get(0).path("body").toString().contains("gAAAA"), "OpenAI's reasoning never reaches Claude");
        JsonNode dropped = droppedOfLastAttempt(logged(r));
        assertEquals(1, dropped.path("reasoning").asInt(), dropped.toString());
        assertEquals(1, dropped.path("tool_search").asInt(), dropped.toString());
        assertEquals(1, dropped.path("web_search").asInt(), dropped.toString());
        assertEquals(1, dropped.path("text.verbosity").asInt(), dropped.toString());
        assertEquals(1, dropped.path("reasoning.summary").asInt(), dropped.toString());
    }

    @Test
    void aLiveWebSearchBecomesClaudesWebSearchTool() throws Exception {
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/v1/responses"), """
                {"model":"claude","stream":true,"tools":[%s,{"type":"web_search"}],"input":"what is new?"}
                """.formatted(EXEC));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode tools = SimRequests.to(stack.get(), "/v1/messages").get(0).path("body").path("tools");
        assertEquals(2, tools.size(), tools.toString());
        assertEquals("web_search_20250305", tools.get(1).path("type").asText(), tools.toString());
        assertEquals("web_search", tools.get(1).path("name").asText());
        assertTrue(droppedOfLastAttempt(logged(r)).isMissingNode() || droppedOfLastAttempt(logged(r)).isEmpty());
    }

    @Test
    void aLiveWebSearchWithoutFunctionsIsGeminisGoogleSearch() throws Exception {
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/v1/responses"), """
                {"model":"gemini","stream":true,"tools":[{"type":"web_search"}],"input":"what is new?"}
                """);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode tools = SimRequests.to(stack.get(), ":streamGenerateContent").get(0).path("body").path("tools");
        assertTrue(tools.toString().contains("\"google_search\":{}"), tools.toString());
    }

    /** The record's cost less its tokens' at the row's rates: what the hosted searches were charged. */
    private static BigDecimal searchCharge(JsonNode record, String input, String cachedInput, String write5m, String output) {
        JsonNode t = record.path("tokens");
        BigDecimal tokens = new BigDecimal(input).multiply(BigDecimal.valueOf(t.path("input").asLong() - t.path("cached").asLong()
                        - t.path("cache_write").asLong()))
                .add(new BigDecimal(cachedInput).multiply(BigDecimal.valueOf(t.path("cached").asLong())))
                .add(new BigDecimal(write5m).multiply(BigDecimal.valueOf(t.path("cache_write").asLong())))
                .add(new BigDecimal(output).multiply(BigDecimal.valueOf(t.path("output").asLong())))
                .movePointLeft(6);
        return new BigDecimal(record.path("cost_usd").asText()).subtract(tokens).stripTrailingZeros();
    }

    @Test
    void claudesWebSearchesArePricedPerSearch() throws Exception {
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/v1/responses"), """
                {"model":"claude","tools":[{"type":"web_search"}],"input":"what is new?"}
                """);
        assertEquals(200, r.statusCode(), r.body());
        // The simulator's Claude ran one search ($10 per thousand for Sonnet 4.5).
        assertEquals(new BigDecimal("0.01"), searchCharge(logged(r), "3.00", "0.30", "3.75", "15.00"), logged(r).toString());
    }

    @Test
    void geminiGroundingIsPricedPerPromptOn25AndPerDistinctQueryOn3() throws Exception {
        // Gemini 2.5: one charge for the grounded prompt, whatever the number of queries ($35 per thousand).
        HttpResponse<String> r = stack.get().post(stack.get().gateway("/v1/responses"), """
                {"model":"gemini","stream":true,"tools":[{"type":"web_search"}],"input":"what is new?"}
                """);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(new BigDecimal("0.035"), searchCharge(logged(r), "0.30", "0.075", "0.375", "2.50"), logged(r).toString());
        // Gemini 3: each distinct non-empty query ($14 per thousand): the simulator ran two (and repeated one, and sent an empty one).
        HttpResponse<String> g3 = stack.get().post(stack.get().gateway("/v1/responses"), """
                {"model":"gemini3","tools":[{"type":"web_search"}],"input":"what is new?"}
                """);
        assertEquals(200, g3.statusCode(), g3.body());
        assertEquals(new BigDecimal("0.028"), searchCharge(logged(g3), "0.50", "0.05", "0.625", "3.00"), logged(g3).toString());
        // A Gemini client's own grounding, relayed as it came (streamed): the same count.
        HttpResponse<String> direct = stack.get().post(stack.get().gateway("/genai/v1beta/models/gemini3:streamGenerateContent?alt=sse"), """
                {"contents":[{"role":"user","parts":[{"text":"what is new?"}]}],"tools":[{"google_search":{}}]}
                """);
        assertEquals(200, direct.statusCode(), direct.body());
        assertTrue(direct.body().contains("webSearchQueries"), direct.body());
        assertEquals(new BigDecimal("0.028"), searchCharge(logged(direct), "0.50", "0.05", "0.625", "3.00"), logged(direct).toString());
    }

    @Test
    void whatWouldBeLostIsRefusedBeforeAnyUpstreamCall() throws Exception {
        for (String[] c : new String[][] {
                {"{\"model\":\"claude\",\"stream\":true,\"previous_response_id\":\"resp_1\",\"input\":\"and then?\"}", "previous_response_id",
                        "whole conversation"},
                {"{\"model\":\"claude\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_id\":\"file-1\"}]}]}", "input",
                        "input_file"},
                {"{\"model\":\"gemini\",\"tools\":[{\"type\":\"code_interpreter\",\"container\":{\"type\":\"auto\"}}],\"input\":\"run\"}", "tools",
                        "code_interpreter"}}) {
            HttpResponse<String> r = stack.get().post(stack.get().gateway("/v1/responses"), c[0]);
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals(c[1], error.path("param").asText(), r.body());
            assertTrue(error.path("message").asText().contains(c[2]) || error.path("message").asText().contains("'" + c[2]),
                    "the message names what to fix: " + r.body());
        }
        assertEquals("[]", SimRequests.all(stack.get()).replaceAll("\\s", ""), "no upstream call was made");
    }
}
