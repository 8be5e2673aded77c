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

class OpenAiChatIT {
    static ProviderSim sim;
    static SimHttp http;

    static final String DEFAULT_TEXT = "Hello from the Tollgate provider simulator, all good.";

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults());
        http = new SimHttp(sim);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void nonStreamAnswersWithTextAndUsage() throws Exception {
        // system 12 chars + user 11 chars + a content part of 5 chars = 28 chars -> 7 tokens
        var r = http.post("/v1/chat/completions", json("""
                {'model':'gpt-test','messages':[{'role':'system','content':'You are sim.'},
                 {'role':'user','content':'hello there'},
                 {'role':'user','content':[{'type':'text','text':'again'}]}]}"""));
        assertEquals(200, r.status());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode b = r.json();
        assertEquals("chat.completion", b.get("object").asText());
        assertEquals("gpt-test", b.get("model").asText());
        assertTrue(b.get("id").asText().startsWith("chatcmpl-"));
        JsonNode choice = b.get("choices").get(0);
        assertEquals("assistant", choice.at("/message/role").asText());
        assertEquals(DEFAULT_TEXT, choice.at("/message/content").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        JsonNode u = b.get("usage");
        assertEquals(7, u.get("prompt_tokens").asInt());
        assertEquals(8, u.get("completion_tokens").asInt());
        assertEquals(15, u.get("total_tokens").asInt());
        assertEquals(0, u.at("/prompt_tokens_details/cached_tokens").asInt());
        assertEquals(0, u.at("/completion_tokens_details/reasoning_tokens").asInt());
    }

    @Test
    void wordsHeaderSetsAnswerLength() throws Exception {
        var r = http.post("/v1/chat/completions", json("{'model':'m','messages':[{'role':'user','content':'x'}]}"),
                "x-sim-words", "11");
        JsonNode b = r.json();
        assertEquals("Hello from the Tollgate provider simulator, all good. Hello from the",
                b.at("/choices/0/message/content").asText());
        assertEquals(11, b.at("/usage/completion_tokens").asInt());
        assertEquals(1, b.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void streamWithoutIncludeUsageHasNoUsageAnywhere() throws Exception {
        var r = http.post("/v1/chat/completions",
                json("{'model':'m','stream':true,'messages':[{'role':'user','content':'hello there'}]}"),
                "accept", "application/json"); // like the OpenAI JS SDK: the body decides, not Accept
        assertEquals(200, r.status());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<SimHttp.Event> events = r.events();
        assertEquals("[DONE]", events.getLast().data());
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(SimHttp.Event::json).toList();
        // role chunk, 8 content chunks, finish chunk
        assertEquals(10, chunks.size());
        assertEquals("assistant", chunks.getFirst().at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertEquals("chat.completion.chunk", c.get("object").asText());
            assertEquals("m", c.get("model").asText());
            assertEquals(chunks.getFirst().get("id").asText(), c.get("id").asText());
            assertFalse(c.has("usage"), "no usage without include_usage: " + c);
            assertNull(events.getFirst().event());
            text.append(c.at("/choices/0/delta/content").asText(""));
        }
        assertEquals(DEFAULT_TEXT, text.toString());
        assertEquals("stop", chunks.getLast().at("/choices/0/finish_reason").asText());
        assertTrue(chunks.get(5).at("/choices/0/finish_reason").isNull());
    }

    @Test
    void streamWithIncludeUsageEndsWithUsageChunk() throws Exception {
        var r = http.post("/v1/chat/completions", json("""
                {'model':'m','stream':true,'stream_options':{'include_usage':true},
                 'messages':[{'role':'user','content':'hello there'}]}"""));
        List<SimHttp.Event> events = r.events();
        assertEquals("[DONE]", events.getLast().data());
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(SimHttp.Event::json).toList();
        assertEquals(11, chunks.size());
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertTrue(c.has("usage") && c.get("usage").isNull(), "usage: null on every other chunk: " + c);
        }
        JsonNode last = chunks.getLast();
        assertEquals(0, last.get("choices").size());
        assertEquals(3, last.at("/usage/prompt_tokens").asInt());
        assertEquals(8, last.at("/usage/completion_tokens").asInt());
        assertEquals(11, last.at("/usage/total_tokens").asInt());
        assertEquals("stop", chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").asText());
    }

    @Test
    void shellToolCallThenToolResultRoundTrip() throws Exception {
        String tools = "[{'type':'function','function':{'name':'read_file','parameters':{}}},"
                + "{'type':'function','function':{'name':'shell','parameters':{}}}]";
        // Turn 1, streamed: the simulator calls the shell tool.
        var r1 = http.post("/v1/chat/completions", json("{'model':'m','stream':true,'stream_options':{'include_usage':true},"
                + "'tools':" + tools + ",'messages':[{'role':'user','content':'run echo'}]}"));
        List<SimHttp.Event> events = r1.events();
        assertEquals("[DONE]", events.getLast().data());
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(SimHttp.Event::json).toList();
        JsonNode head = chunks.get(1).at("/choices/0/delta/tool_calls/0");
        assertEquals(0, head.get("index").asInt());
        assertEquals("shell", head.at("/function/name").asText());
        assertEquals("function", head.get("type").asText());
        String callId = head.get("id").asText();
        assertTrue(callId.startsWith("call_"));
        StringBuilder args = new StringBuilder();
        for (JsonNode c : chunks) {
            JsonNode tc = c.at("/choices/0/delta/tool_calls/0/function/arguments");
            if (tc.isTextual()) {
                args.append(tc.asText());
            }
        }
        assertEquals("{\"command\":[\"bash\",\"-lc\",\"echo tollgate-tool-ok\"]}", args.toString());
        assertEquals("tool_calls", chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").asText());
        assertEquals(3, chunks.getLast().at("/usage/completion_tokens").asInt());
        assertEquals(2, chunks.getLast().at("/usage/prompt_tokens").asInt());

        // Turn 2, not streamed: the conversation carries the tool result, so the simulator quotes it.
        var r2 = http.post("/v1/chat/completions", json("{'model':'m','tools':" + tools + ",'messages':["
                + "{'role':'user','content':'run echo'},"
                + "{'role':'assistant','content':null,'tool_calls':[{'id':'" + callId + "','type':'function',"
                + "'function':{'name':'shell','arguments':'{}'}}]},"
                + "{'role':'tool','tool_call_id':'" + callId + "','content':'tollgate-tool-ok\\n'}]}"));
        JsonNode b = r2.json();
        assertEquals("Tool said: tollgate-tool-ok", b.at("/choices/0/message/content").asText());
        assertEquals("stop", b.at("/choices/0/finish_reason").asText());
        assertEquals(3, b.at("/usage/completion_tokens").asInt());
        assertEquals(tokens("run echo".length() + "tollgate-tool-ok\n".length()), b.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void nonStreamToolCallForExecCommand() throws Exception {
        var r = http.post("/v1/chat/completions", json("""
                {'model':'m','tools':[{'type':'function','function':{'name':'exec_command'}}],
                 'messages':[{'role':'user','content':'go'}]}"""));
        JsonNode msg = r.json().at("/choices/0/message");
        assertTrue(msg.get("content").isNull());
        JsonNode call = msg.at("/tool_calls/0");
        assertEquals("exec_command", call.at("/function/name").asText());
        assertEquals("{\"cmd\":\"echo tollgate-tool-ok\"}", call.at("/function/arguments").asText());
        assertEquals("tool_calls", r.json().at("/choices/0/finish_reason").asText());
        assertEquals(3, r.json().at("/usage/completion_tokens").asInt());
    }

    @Test
    void azureDeploymentNamesTheModel() throws Exception {
        var r = http.post("/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21",
                json("{'messages':[{'role':'user','content':'hi'}]}"));
        assertEquals(200, r.status());
        assertEquals("my-gpt", r.json().get("model").asText());
        var e = http.post("/openai/deployments/my-emb/embeddings?api-version=2024-10-21", json("{'input':'hi'}"));
        assertEquals("my-emb", e.json().get("model").asText());
    }

    @Test
    void invalidJsonGetsAnOpenAiError() throws Exception {
        var r = http.post("/v1/chat/completions", "{nope");
        assertEquals(400, r.status());
        assertEquals("invalid_request_error", r.json().at("/error/type").asText());
        assertTrue(r.json().at("/error/message").isTextual());
    }
}
