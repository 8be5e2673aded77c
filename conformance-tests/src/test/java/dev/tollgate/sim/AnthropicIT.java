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

class AnthropicIT {
    static ProviderSim sim;
    static SimHttp http;

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults().withWords(4));
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
            JsonNode d = e.json();
            assertEquals(e.event(), d.get("type").asText());
            return d;
        }).toList();
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.get("type").asText()).toList();
    }

    @Test
    void textStreamLikeClaudeCode() throws Exception {
        // system blocks 8 + 4 chars, a role:system message inside messages (Claude Code does that) 6, user 10 -> 28 -> 7
        var r = http.post("/v1/messages?beta=true", json("""
                {'model':'claude-opus-4-8','max_tokens':64000,'stream':true,
                 'system':[{'type':'text','text':'You are '},{'type':'text','text':'sim.','cache_control':{'type':'ephemeral'}}],
                 'messages':[{'role':'user','content':[{'type':'text','text':'say hi now'}]},{'role':'system','content':'extra.'}]}"""),
                "anthropic-version", "2023-06-01");
        List<JsonNode> events = checkedEvents(r);
        assertEquals(List.of("message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                types(events));
        JsonNode msg = events.getFirst().get("message");
        assertEquals("claude-opus-4-8", msg.get("model").asText());
        assertTrue(msg.get("id").asText().startsWith("msg_"));
        assertEquals(7, msg.at("/usage/input_tokens").asInt());
        assertEquals(0, msg.at("/usage/cache_creation_input_tokens").asInt());
        assertEquals(0, msg.at("/usage/cache_read_input_tokens").asInt());
        assertEquals("text", events.get(1).at("/content_block/type").asText());
        StringBuilder text = new StringBuilder();
        for (JsonNode e : events.subList(3, 7)) {
            assertEquals("text_delta", e.at("/delta/type").asText());
            text.append(e.at("/delta/text").asText());
        }
        assertEquals("Hello from the Tollgate", text.toString());
        assertEquals("end_turn", events.get(8).at("/delta/stop_reason").asText());
        assertEquals(4, events.get(8).at("/usage/output_tokens").asInt());
    }

    @Test
    void aTaskForSubagentsCallsTheAgentToolOncePerTurnUntilItHasTheirResults() throws Exception {
        String tools = "[{'name':'Agent','input_schema':{}},{'name':'Bash','input_schema':{}}]";
        String task = "{'role':'user','content':[{'type':'text','text':'delegate. tollgate-subagents=2'}]}";
        JsonNode first = http.post("/v1/messages", json("{'model':'claude-sonnet-5','max_tokens':100,'tools':" + tools
                + ",'messages':[" + task + "]}")).json();
        assertEquals("tool_use", first.at("/content/0/type").asText());
        assertEquals("Agent", first.at("/content/0/name").asText());
        assertEquals("general-purpose", first.at("/content/0/input/subagent_type").asText());
        String prompt = first.at("/content/0/input/prompt").asText();
        assertTrue(prompt.contains("echo tollgate-tool-ok") && !prompt.contains("tollgate-subagents"), prompt);
        String oneResult = ",{'role':'assistant','content':[{'type':'tool_use','id':'t1','name':'Agent','input':{}}]},"
                + "{'role':'user','content':[{'type':'tool_result','tool_use_id':'t1','content':'Tool said: tollgate-tool-ok'}]}";
        JsonNode second = http.post("/v1/messages", json("{'model':'claude-sonnet-5','max_tokens':100,'tools':" + tools
                + ",'messages':[" + task + oneResult + "]}")).json();
        assertEquals("Agent", second.at("/content/0/name").asText(), "one subagent's result of two: another");
        String twoResults = oneResult + ",{'role':'assistant','content':[{'type':'tool_use','id':'t2','name':'Agent','input':{}}]},"
                + "{'role':'user','content':[{'type':'tool_result','tool_use_id':'t2','content':'Tool said: tollgate-tool-ok'}]}";
        JsonNode done = http.post("/v1/messages", json("{'model':'claude-sonnet-5','max_tokens':100,'tools':" + tools
                + ",'messages':[" + task + twoResults + "]}")).json();
        assertEquals("Tool said: Tool said: tollgate-tool-ok", done.at("/content/0/text").asText());
        // The subagent's own conversation (its prompt, no marker) runs the shell tool as any other.
        JsonNode sub = http.post("/v1/messages", json("{'model':'claude-sonnet-5','max_tokens':100,'tools':" + tools
                + ",'messages':[{'role':'user','content':" + SimHttp.MAPPER.writeValueAsString(prompt).replace('"', '\'') + "}]}")).json();
        assertEquals("Bash", sub.at("/content/0/name").asText());
    }

    @Test
    void nonStreamMessage() throws Exception {
        var r = http.post("/v1/messages", json("{'model':'claude-sonnet-5','max_tokens':100,'system':'abcd',"
                + "'messages':[{'role':'user','content':'efgh'}]}"));
        JsonNode b = r.json();
        assertEquals("message", b.get("type").asText());
        assertEquals("assistant", b.get("role").asText());
        assertEquals("claude-sonnet-5", b.get("model").asText());
        assertEquals("Hello from the Tollgate", b.at("/content/0/text").asText());
        assertEquals("end_turn", b.get("stop_reason").asText());
        assertEquals(2, b.at("/usage/input_tokens").asInt());
        assertEquals(4, b.at("/usage/output_tokens").asInt());
    }

    @Test
    void bashToolUseRoundTrip() throws Exception {
        String tools = "[{'name':'Read','input_schema':{'$schema':'x','type':'object'}},"
                + "{'name':'Bash','input_schema':{'type':'object'}}]";
        String user = "{'role':'user','content':[{'type':'text','text':'run echo'}]}";
        var r1 = http.post("/v1/messages?beta=true", json("{'model':'claude-opus-4-8','stream':true,'max_tokens':64000,"
                + "'tools':" + tools + ",'messages':[" + user + "]}"));
        List<JsonNode> events = checkedEvents(r1);
        assertEquals(List.of("message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_stop", "message_delta", "message_stop"), types(events));
        JsonNode block = events.get(1).get("content_block");
        assertEquals("tool_use", block.get("type").asText());
        assertEquals("Bash", block.get("name").asText());
        assertEquals(0, block.get("input").size());
        String id = block.get("id").asText();
        assertTrue(id.startsWith("toolu_"));
        StringBuilder partial = new StringBuilder();
        for (JsonNode e : events.subList(3, 6)) {
            assertEquals("input_json_delta", e.at("/delta/type").asText());
            partial.append(e.at("/delta/partial_json").asText());
        }
        JsonNode input = SimHttp.MAPPER.readTree(partial.toString());
        assertEquals("echo tollgate-tool-ok", input.get("command").asText());
        assertEquals("Print a marker", input.get("description").asText());
        assertEquals("tool_use", events.get(7).at("/delta/stop_reason").asText());
        assertEquals(3, events.get(7).at("/usage/output_tokens").asInt());

        // Turn 2: tool_result with text blocks, not streamed.
        var r2 = http.post("/v1/messages?beta=true", json("{'model':'claude-opus-4-8','max_tokens':64000,'tools':" + tools
                + ",'messages':[" + user + ",{'role':'assistant','content':[{'type':'tool_use','id':'" + id
                + "','name':'Bash','input':{'command':'echo tollgate-tool-ok'}}]},"
                + "{'role':'user','content':[{'type':'tool_result','tool_use_id':'" + id
                + "','content':[{'type':'text','text':'tollgate-tool-ok'}],'is_error':false}]}]}"));
        JsonNode b = r2.json();
        assertEquals("text", b.at("/content/0/type").asText());
        assertEquals("Tool said: tollgate-tool-ok", b.at("/content/0/text").asText());
        assertEquals("end_turn", b.get("stop_reason").asText());
        assertEquals(3, b.at("/usage/output_tokens").asInt());
        assertEquals(tokens("run echo".length() + "tollgate-tool-ok".length()), b.at("/usage/input_tokens").asInt());
    }

    @Test
    void nonStreamToolUseHasInputObject() throws Exception {
        var r = http.post("/v1/messages", json("{'model':'c','tools':[{'name':'Bash'}],'messages':[{'role':'user','content':'x'}]}"));
        JsonNode block = r.json().at("/content/0");
        assertEquals("tool_use", block.get("type").asText());
        assertEquals("echo tollgate-tool-ok", block.at("/input/command").asText());
        assertEquals("tool_use", r.json().get("stop_reason").asText());
    }

    @Test
    void countTokens() throws Exception {
        var r = http.post("/v1/messages/count_tokens", json("{'model':'c','system':'12345678','messages':[{'role':'user','content':'123456789'}]}"));
        assertEquals(200, r.status());
        assertEquals(5, r.json().get("input_tokens").asInt());
    }

    @Test
    void errorsAreInAnthropicDialect() throws Exception {
        var r = http.post("/v1/messages", json("{'model':'c','messages':[]}"), "x-sim-fault", "{\"status\":429,\"retry_after\":7}");
        assertEquals(429, r.status());
        assertEquals("7", r.headers().firstValue("retry-after").orElseThrow());
        assertEquals("error", r.json().get("type").asText());
        assertEquals("rate_limit_error", r.json().at("/error/type").asText());
    }
}
