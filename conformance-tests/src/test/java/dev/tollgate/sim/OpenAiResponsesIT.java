package dev.tollgate.sim;

import static dev.tollgate.sim.SimHttp.json;
import static dev.tollgate.sim.SimHttp.tokens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OpenAiResponsesIT {
    static ProviderSim sim;
    static SimHttp http;

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults().withWords(3));
        http = new SimHttp(sim);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    /** Every event has a matching event: line and type, and sequence numbers count up from 0. */
    private static List<JsonNode> checkedEvents(SimHttp.Resp r) {
        assertEquals(200, r.status());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<SimHttp.Event> events = r.events();
        for (int i = 0; i < events.size(); i++) {
            JsonNode d = events.get(i).json();
            assertEquals(events.get(i).event(), d.get("type").asText());
            assertEquals(i, d.get("sequence_number").asInt());
        }
        return events.stream().map(SimHttp.Event::json).toList();
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.get("type").asText()).toList();
    }

    @Test
    void textStreamHasTheFullEventSequence() throws Exception {
        // instructions 6 chars + input 6 chars = 12 -> 3 tokens
        var r = http.post("/v1/responses", json("{'model':'gpt-5.5','instructions':'Be sim','input':'say hi','stream':true}"),
                "accept", "application/json");
        List<JsonNode> events = checkedEvents(r);
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed"), types(events));
        assertEquals("in_progress", events.getFirst().at("/response/status").asText());
        assertTrue(events.getFirst().at("/response/usage").isNull());
        String text = events.get(4).get("delta").asText() + events.get(5).get("delta").asText()
                + events.get(6).get("delta").asText();
        assertEquals("Hello from the", text);
        assertEquals(text, events.get(7).get("text").asText());
        JsonNode item = events.get(9).get("item");
        assertEquals("message", item.get("type").asText());
        assertEquals("completed", item.get("status").asText());
        assertEquals(text, item.at("/content/0/text").asText());
        assertEquals(item.get("id").asText(), events.get(4).get("item_id").asText());
        JsonNode resp = events.getLast().get("response");
        assertEquals("completed", resp.get("status").asText());
        assertEquals("gpt-5.5", resp.get("model").asText());
        assertEquals(events.getFirst().at("/response/id").asText(), resp.get("id").asText());
        assertEquals(text, resp.at("/output/0/content/0/text").asText());
        JsonNode u = resp.get("usage");
        assertEquals(3, u.get("input_tokens").asInt());
        assertEquals(0, u.at("/input_tokens_details/cached_tokens").asInt());
        assertEquals(3, u.get("output_tokens").asInt());
        assertEquals(0, u.at("/output_tokens_details/reasoning_tokens").asInt());
        assertEquals(6, u.get("total_tokens").asInt());
    }

    @Test
    void nonStreamReturnsTheResponseObject() throws Exception {
        var r = http.post("/v1/responses", json("""
                {'model':'gpt-5','input':[{'type':'message','role':'user','content':[{'type':'input_text','text':'abcdefgh'}]}]}"""));
        JsonNode b = r.json();
        assertEquals("response", b.get("object").asText());
        assertEquals("completed", b.get("status").asText());
        assertEquals("Hello from the", b.at("/output/0/content/0/text").asText());
        assertEquals(2, b.at("/usage/input_tokens").asInt());
        assertEquals(3, b.at("/usage/output_tokens").asInt());
        assertEquals(5, b.at("/usage/total_tokens").asInt());
    }

    @Test
    void execCommandRoundTripLikeCodex() throws Exception {
        String tools = "[{'type':'web_search'},{'type':'function','name':'exec_command','parameters':{}}]";
        String user = "{'type':'message','role':'user','content':[{'type':'input_text','text':'run echo'}]}";
        var r1 = http.post("/v1/responses", json("{'model':'gpt-5.5','stream':true,'store':false,'tools':" + tools
                + ",'input':[" + user + "]}"));
        List<JsonNode> events = checkedEvents(r1);
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done", "response.completed"), types(events));
        JsonNode added = events.get(2).get("item");
        assertEquals("function_call", added.get("type").asText());
        assertEquals("in_progress", added.get("status").asText());
        String args = events.get(3).get("delta").asText() + events.get(4).get("delta").asText()
                + events.get(5).get("delta").asText();
        assertEquals("{\"cmd\":\"echo tollgate-tool-ok\"}", args);
        assertEquals(args, events.get(6).get("arguments").asText());
        JsonNode item = events.get(7).get("item");
        assertEquals("function_call", item.get("type").asText());
        assertEquals("completed", item.get("status").asText());
        assertEquals("exec_command", item.get("name").asText());
        assertEquals(args, item.get("arguments").asText());
        assertEquals(added.get("id").asText(), item.get("id").asText());
        String callId = item.get("call_id").asText();
        assertTrue(callId.startsWith("call_"));
        JsonNode completed = events.getLast().get("response");
        assertEquals("function_call", completed.at("/output/0/type").asText());
        assertEquals(3, completed.at("/usage/output_tokens").asInt());

        // Codex resends the whole history with the call and its output.
        String output = "Chunk ID: 1\nOutput:\ntollgate-tool-ok\n";
        var r2 = http.post("/v1/responses", json("{'model':'gpt-5.5','stream':true,'tools':" + tools + ",'input':[" + user
                + ",{'type':'function_call','call_id':'" + callId + "','name':'exec_command','arguments':'{}'}"
                + ",{'type':'function_call_output','call_id':'" + callId + "','output':" + SimHttp.MAPPER.writeValueAsString(output)
                + "}]}"));
        List<JsonNode> events2 = checkedEvents(r2);
        JsonNode done = events2.get(events2.size() - 2).get("item");
        assertEquals("message", done.get("type").asText());
        assertEquals("Tool said: Chunk ID: 1\nOutput:\ntollgate-tool-ok", done.at("/content/0/text").asText());
        JsonNode usage = events2.getLast().at("/response/usage");
        // "Tool", " said:", " Chunk", " ID:", " 1\nOutput:\ntollgate-tool-ok"
        assertEquals(5, usage.get("output_tokens").asInt());
        assertEquals(tokens("run echo".length() + output.length()), usage.get("input_tokens").asInt());
    }

    @Test
    void codexsOwnCompactionSummaryCountsAsTheToolResultItSummarizes() throws Exception {
        String tools = "[{'type':'function','name':'exec_command','parameters':{}}]";
        String user = "{'type':'message','role':'user','content':[{'type':'input_text','text':'run echo'}]}";
        String summary = "{'type':'message','role':'user','content':[{'type':'input_text','text':'Another language model started to solve "
                + "this problem and produced a summary of its thinking process. Here is the summary:\\nTool said: tollgate-tool-ok'}]}";
        JsonNode r = http.post("/v1/responses", json("{'model':'gpt-5.5','tools':" + tools + ",'input':[" + user + "," + summary + "]}")).json();
        assertEquals("message", r.at("/output/0/type").asText(), "the work was done: an answer, not the tool again: " + r);
        assertEquals("Tool said: Tool said: tollgate-tool-ok", r.at("/output/0/content/0/text").asText());
    }

    @Test
    void responsesLiteToolsInsideAdditionalToolsItem() throws Exception {
        // Codex's "responses-lite": no top-level tools; they sit in namespaces inside an input item.
        var r = http.post("/v1/responses", json("""
                {'model':'gpt-6.1-sol','stream':true,'input':[
                  {'type':'additional_tools','role':'developer','tools':[
                    {'type':'namespace','name':'clock','tools':[{'type':'function','name':'sleep'}]},
                    {'type':'namespace','name':'functions','tools':[
                      {'type':'custom','name':'exec'},{'type':'function','name':'exec_command','description':'text'}]}]},
                  {'type':'message','role':'user','content':[{'type':'input_text','text':'list'}]}]}"""),
                "x-openai-internal-codex-responses-lite", "true");
        List<JsonNode> events = checkedEvents(r);
        JsonNode item = events.get(events.size() - 2).get("item");
        assertEquals("function_call", item.get("type").asText());
        assertEquals("exec_command", item.get("name").asText());
        assertEquals("functions", item.get("namespace").asText(), "the call names the namespace its tool came in");
        // The tool definitions are not conversation text: only "list" counts.
        assertEquals(1, events.getLast().at("/response/usage/input_tokens").asInt());
    }

    @Test
    void responsesLiteCodeExecToolRoundTrip() throws Exception {
        // Codex 0.169's default model offers no shell function: exec_command is reachable only from
        // JavaScript run by the custom tool "exec" (as tools.exec_command).
        String tools = "{'type':'additional_tools','role':'developer','tools':[{'type':'namespace','name':'functions','tools':["
                + "{'type':'custom','name':'exec','format':{'type':'grammar','syntax':'lark','definition':'start: SOURCE'}},"
                + "{'type':'function','name':'wait'}]}]}";
        String user = "{'type':'message','role':'user','content':[{'type':'input_text','text':'run echo'}]}";
        var r1 = http.post("/v1/responses", json("{'model':'gpt-6.1-sol','stream':true,'input':[" + tools + "," + user + "]}"));
        List<JsonNode> events = checkedEvents(r1);
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
                "response.output_item.done", "response.completed"), types(events));
        String input = events.get(3).get("delta").asText() + events.get(4).get("delta").asText()
                + events.get(5).get("delta").asText();
        assertEquals(input, events.get(6).get("input").asText());
        assertTrue(input.contains("await tools.exec_command({cmd: \"echo tollgate-tool-ok\"})"), input);
        JsonNode item = events.get(7).get("item");
        assertEquals("custom_tool_call", item.get("type").asText());
        assertEquals("exec", item.get("name").asText());
        assertEquals("functions", item.get("namespace").asText());
        assertEquals(input, item.get("input").asText());
        String callId = item.get("call_id").asText();
        assertEquals(3, events.getLast().at("/response/usage/output_tokens").asInt());

        // Codex sends the script's result back as content parts.
        var r2 = http.post("/v1/responses", json("{'model':'gpt-6.1-sol','stream':true,'input':[" + tools + "," + user
                + ",{'type':'custom_tool_call','call_id':'" + callId + "','name':'exec','input':'x'}"
                + ",{'type':'custom_tool_call_output','call_id':'" + callId + "','output':["
                + "{'type':'input_text','text':'Script completed '},{'type':'input_text','text':'tollgate-tool-ok'}]}]}"));
        List<JsonNode> events2 = checkedEvents(r2);
        assertEquals("Tool said: Script completed tollgate-tool-ok",
                events2.getLast().at("/response/output/0/content/0/text").asText());
    }

    @Test
    void azureResponsesPath() throws Exception {
        var r = http.post("/openai/responses?api-version=2025-04-01-preview", json("{'model':'dep1','input':'hi'}"));
        assertEquals(200, r.status());
        assertEquals("dep1", r.json().get("model").asText());
    }
}
