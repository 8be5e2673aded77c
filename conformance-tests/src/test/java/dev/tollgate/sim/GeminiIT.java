package dev.tollgate.sim;

import static dev.tollgate.sim.SimHttp.json;
import static dev.tollgate.sim.SimHttp.tokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeminiIT {
    static ProviderSim sim;
    static SimHttp http;

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults());
        http = new SimHttp(sim);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static List<JsonNode> checkedEvents(SimHttp.Resp r) {
        assertEquals(200, r.status());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        return r.events().stream().map(e -> {
            assertNull(e.event(), "Gemini sends no event: lines");
            return e.json();
        }).toList();
    }

    @Test
    void sseStreamWithCumulativeUsageAndFinishReason() throws Exception {
        // systemInstruction 7 + two user turns 5 + 4 = 16 chars -> 4 tokens
        var r = http.post("/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse", json("""
                {'systemInstruction':{'role':'user','parts':[{'text':'Be sim.'}]},
                 'contents':[{'role':'user','parts':[{'text':'hello'}]},{'role':'user','parts':[{'text':'list'}]}],
                 'generationConfig':{'thinkingConfig':{'includeThoughts':true}}}"""),
                "x-sim-words", "3");
        List<JsonNode> chunks = checkedEvents(r);
        assertEquals(3, chunks.size());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < chunks.size(); i++) {
            JsonNode c = chunks.get(i);
            JsonNode cand = c.at("/candidates/0");
            assertEquals("model", cand.at("/content/role").asText());
            assertEquals(0, cand.get("index").asInt());
            text.append(cand.at("/content/parts/0/text").asText());
            assertEquals("gemini-3.8-flash", c.get("modelVersion").asText());
            assertEquals(4, c.at("/usageMetadata/promptTokenCount").asInt());
            assertEquals(i + 1, c.at("/usageMetadata/candidatesTokenCount").asInt());
            assertEquals(4 + i + 1, c.at("/usageMetadata/totalTokenCount").asInt());
            assertEquals(i == chunks.size() - 1, cand.has("finishReason"));
        }
        assertEquals("STOP", chunks.getLast().at("/candidates/0/finishReason").asText());
        assertEquals("Hello from the", text.toString());
    }

    @Test
    void streamWithoutAltSseIsOneJsonArray() throws Exception {
        var r = http.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                json("{'contents':[{'role':'user','parts':[{'text':'hi'}]}]}"), "x-sim-words", "2");
        assertEquals(200, r.status());
        JsonNode arr = r.json();
        assertTrue(arr.isArray());
        assertEquals(2, arr.size());
        assertEquals("STOP", arr.get(1).at("/candidates/0/finishReason").asText());
    }

    @Test
    void generateContentNonStream() throws Exception {
        var r = http.post("/v1beta/models/gemini-2.5-pro:generateContent",
                json("{'contents':[{'role':'user','parts':[{'text':'12345678'}]}]}"));
        JsonNode b = r.json();
        assertEquals("Hello from the Tollgate provider simulator, all good.", b.at("/candidates/0/content/parts/0/text").asText());
        assertEquals("STOP", b.at("/candidates/0/finishReason").asText());
        assertEquals(2, b.at("/usageMetadata/promptTokenCount").asInt());
        assertEquals(8, b.at("/usageMetadata/candidatesTokenCount").asInt());
        assertEquals(10, b.at("/usageMetadata/totalTokenCount").asInt());
        assertEquals("gemini-2.5-pro", b.get("modelVersion").asText());
    }

    @Test
    void runShellCommandRoundTrip() throws Exception {
        String tools = "[{'functionDeclarations':[{'name':'list_directory','parametersJsonSchema':{}},"
                + "{'name':'run_shell_command','parametersJsonSchema':{}}]}]";
        String user = "{'role':'user','parts':[{'text':'run echo'}]}";
        var r1 = http.post("/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse",
                json("{'contents':[" + user + "],'tools':" + tools + "}"));
        List<JsonNode> chunks = checkedEvents(r1);
        assertEquals(1, chunks.size());
        JsonNode cand = chunks.getFirst().at("/candidates/0");
        JsonNode call = cand.at("/content/parts/0/functionCall");
        assertEquals("run_shell_command", call.get("name").asText());
        assertEquals("echo tollgate-tool-ok", call.at("/args/command").asText());
        String id = call.get("id").asText();
        assertFalse(id.isEmpty());
        assertEquals("STOP", cand.get("finishReason").asText());
        assertEquals(3, chunks.getFirst().at("/usageMetadata/candidatesTokenCount").asInt());

        var r2 = http.post("/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse", json("{'contents':[" + user
                + ",{'role':'model','parts':[{'functionCall':{'id':'" + id + "','name':'run_shell_command','args':{'command':'x'}},"
                + "'thoughtSignature':'skip_thought_signature_validator'}]},"
                + "{'role':'user','parts':[{'functionResponse':{'id':'" + id + "','name':'run_shell_command',"
                + "'response':{'output':'tollgate-tool-ok'}}}]}],'tools':" + tools + "}"));
        List<JsonNode> chunks2 = checkedEvents(r2);
        StringBuilder text = new StringBuilder();
        chunks2.forEach(c -> text.append(c.at("/candidates/0/content/parts/0/text").asText()));
        assertEquals("Tool said: tollgate-tool-ok", text.toString());
        assertEquals(3, chunks2.getLast().at("/usageMetadata/candidatesTokenCount").asInt());
        assertEquals(tokens("run echo".length() + "tollgate-tool-ok".length()),
                chunks2.getLast().at("/usageMetadata/promptTokenCount").asInt());
    }

    @Test
    void routerCallGetsJsonMatchingTheSchema() throws Exception {
        // Gemini CLI's model router (no -m) insists on JSON output.
        var r = http.post("/v1beta/models/gemini-3.5-flash-lite:generateContent", json("""
                {'contents':[{'role':'user','parts':[{'text':'list files'}]}],
                 'generationConfig':{'responseMimeType':'application/json','responseJsonSchema':{'type':'OBJECT',
                   'properties':{'complexity_reasoning':{'type':'STRING'},'complexity_score':{'type':'INTEGER'}}}}}"""));
        String text = r.json().at("/candidates/0/content/parts/0/text").asText();
        JsonNode answer = SimHttp.MAPPER.readTree(text);
        assertTrue(answer.get("complexity_reasoning").isTextual());
        assertTrue(answer.get("complexity_score").isInt());
    }

    @Test
    void countTokensAndErrorDialect() throws Exception {
        var r = http.post("/v1beta/models/gemini-2.5-flash:countTokens",
                json("{'contents':[{'role':'user','parts':[{'text':'123456789'}]}]}"));
        assertEquals(3, r.json().get("totalTokens").asInt());
        var e = http.post("/v1beta/models/gemini-2.5-flash:generateContent", json("{'contents':[]}"),
                "x-sim-fault", "{\"status\":503}");
        assertEquals(503, e.status());
        assertEquals(503, e.json().at("/error/code").asInt());
        assertEquals("UNAVAILABLE", e.json().at("/error/status").asText());
        assertTrue(e.json().at("/error/message").isTextual());
    }
}
