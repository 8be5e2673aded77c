package dev.tollgate.providers.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.gemini.GeminiCodec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.openai.ChatCodec;
import dev.tollgate.providers.openai.ResponsesCodec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Captured client requests translated to each other format, checked field by field. */
class RequestGoldenTest {

    private static final String CLAUDE = "canon-claude-0003-POST-_anthropic_v1_messages.trimmed.json";
    private static final String CODEX = "canon-codex-0002-POST-_v1_responses.trimmed.json";
    private static final String CODEX_LITE = "codex-gpt-6.1-sol-responses-lite.trimmed.json";

    private static final String GEMINI = "canon-gemini-0003-POST-_v1beta_models_gemini-3.8-flash_streamGenerateContent.trimmed.json";

    @Test
    void geminiCliToAnthropicAndBack() throws Exception {
        JsonBody gemini = Captures.requestBody(GEMINI);
        ChatRequest ir = GeminiCodec.INSTANCE.decodeRequest(gemini).withModel("claude-sonnet-4-5");
        JsonNode up = Captures.json(AnthropicCodec.INSTANCE.encodeRequest(ir));
        assertTrue(up.path("system").get(0).path("text").asText().startsWith("You are Gemini CLI"));
        List<JsonNode> messages = list(up.path("messages"));
        assertEquals("list files", messages.get(0).path("content").get(1).path("text").asText());
        JsonNode use = messages.get(1).path("content").get(0);
        assertEquals("tool_use", use.path("type").asText());
        assertEquals("list_directory_1795552947708_0", use.path("id").asText());
        assertEquals(".", use.path("input").path("dir_path").asText());
        JsonNode result = messages.get(2).path("content").get(0);
        assertEquals("list_directory_1795552947708_0", result.path("tool_use_id").asText());
        assertEquals("Directory /home/dev/work/canon-gemini is empty.", result.path("content").get(0).path("text").asText());
        JsonNode tool = up.path("tools").get(0);
        assertEquals("update_topic", tool.path("name").asText());
        assertEquals(gemini.node("tools").get(0).path("functionDeclarations").get(0).path("parametersJsonSchema"), tool.path("input_schema"));
        // thinkingLevel HIGH, but the last turn called a tool without Claude's thinking (Gemini made it): Claude refuses thinking then.
        assertTrue(up.path("thinking").isMissingNode(), up.path("thinking").toString());

        // An Anthropic client's history to Gemini: calls and responses keep their id, the response gets the name.
        ChatRequest back = AnthropicCodec.INSTANCE.decodeRequest(JsonBody.parse(up.toString().getBytes()));
        JsonNode g = Captures.json(GeminiCodec.INSTANCE.encodeRequest(back));
        JsonNode call = g.path("contents").get(1).path("parts").get(0);
        assertEquals("list_directory", call.path("functionCall").path("name").asText());
        assertEquals("skip_thought_signature_validator", call.path("thoughtSignature").asText());
        JsonNode response = g.path("contents").get(2).path("parts").get(0).path("functionResponse");
        assertEquals("list_directory", response.path("name").asText());
        assertEquals("list_directory_1795552947708_0", response.path("id").asText());
        assertEquals("Directory /home/dev/work/canon-gemini is empty.", response.path("response").path("output").asText());
        assertEquals("model", g.path("contents").get(1).path("role").asText());
        assertTrue(g.path("tools").get(0).path("functionDeclarations").get(0).has("parametersJsonSchema"));
    }

    @Test
    void geminiRouterCallAsksEveryFormatForJson() throws Exception {
        JsonBody router = Captures.requestBody("canon-gemini-0001-POST-_v1beta_models_gemini-3.5-flash-lite_generateContent.trimmed.json");
        JsonNode schema = ((ObjectNode) router.node("generationConfig").path("responseJsonSchema")).deepCopy();
        // Gemini CLI spells types in Gemini's capitals; JSON Schema (and OpenAI) want lower case.
        assertEquals("OBJECT", schema.path("type").asText());
        ((ObjectNode) schema).put("type", "object");
        ((ObjectNode) schema.path("properties").path("complexity_reasoning")).put("type", "string");
        ((ObjectNode) schema.path("properties").path("complexity_score")).put("type", "integer");
        ChatRequest ir = GeminiCodec.INSTANCE.decodeRequest(router).withModel("m");

        JsonNode responses = Captures.json(ResponsesCodec.INSTANCE.encodeRequest(ir));
        assertEquals("json_schema", responses.path("text").path("format").path("type").asText());
        assertEquals(schema, responses.path("text").path("format").path("schema"));
        JsonNode chat = Captures.json(ChatCodec.INSTANCE.encodeRequest(ir));
        assertEquals("json_schema", chat.path("response_format").path("type").asText());
        assertEquals(schema, chat.path("response_format").path("json_schema").path("schema"));
        JsonNode anthropic = Captures.json(AnthropicCodec.INSTANCE.encodeRequest(ir));
        assertTrue(anthropic.path("system").get(anthropic.path("system").size() - 1).path("text").asText().contains(schema.toString()));
        JsonNode gemini = Captures.json(GeminiCodec.INSTANCE.encodeRequest(ResponsesCodec.INSTANCE.decodeRequest(JsonBody.parse(
                JsonBody.MAPPER.writeValueAsBytes(responses)))));
        assertEquals("application/json", gemini.path("generationConfig").path("responseMimeType").asText());
        assertEquals(schema, gemini.path("generationConfig").path("responseJsonSchema"));
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    @Test
    void claudeCodeToResponses() throws Exception {
        JsonBody claude = Captures.requestBody(CLAUDE);
        ChatRequest ir = AnthropicCodec.INSTANCE.decodeRequest(claude).withModel("gpt-5.5");
        JsonNode up = Captures.json(ResponsesCodec.INSTANCE.encodeRequest(ir));

        assertEquals("gpt-5.5", up.path("model").asText());
        assertTrue(up.path("stream").asBoolean(), "translated calls always stream upstream");
        assertFalse(up.path("store").asBoolean(true));
        List<JsonNode> input = list(up.path("input"));
        // system blocks first, as one developer message with a part per block
        assertEquals("developer", input.get(0).path("role").asText());
        JsonNode system = input.get(0).path("content");
        assertEquals(3, system.size());
        assertEquals("You are a Claude agent, built on Anthropic's Claude Agent SDK.", system.get(1).path("text").asText());
        // the user turn, its two text blocks in order
        assertEquals("user", input.get(1).path("role").asText());
        assertEquals("run echo", input.get(1).path("content").get(1).path("text").asText());
        assertEquals("input_text", input.get(1).path("content").get(1).path("type").asText());
        // Claude Code's role:"system" message inside messages stays where it was
        assertEquals("developer", input.get(2).path("role").asText());
        assertTrue(input.get(2).path("content").get(0).path("text").asText().startsWith("Available agent types"));
        // the tool_use block becomes a function_call with the same id and the input as JSON text
        JsonNode call = input.get(3);
        assertEquals("function_call", call.path("type").asText());
        assertEquals("toolu_kq18xf56e4", call.path("call_id").asText());
        assertEquals("Bash", call.path("name").asText());
        assertEquals("echo tool-ok", Captures.json(call.path("arguments").asText().getBytes()).path("command").asText());

        // tools: function tools with their JSON Schema untouched, $schema included
        JsonNode bash = list(up.path("tools")).stream().filter(t -> t.path("name").asText().equals("Bash")).findFirst().orElseThrow();
        assertEquals("function", bash.path("type").asText());
        assertEquals(claude.node("tools").get(1).path("input_schema"), bash.path("parameters"));
        assertEquals("https://json-schema.org/draft/2020-12/schema", bash.path("parameters").path("$schema").asText());
        assertEquals(3, up.path("tools").size(), "the capture's 3 tools (the trimmed rest is not a tool)");

        // max_tokens and adaptive thinking with effort
        assertEquals(64000, up.path("max_output_tokens").asInt());
        assertEquals("high", up.path("reasoning").path("effort").asText());
    }

    @Test
    void claudeCodeToChat() throws Exception {
        ChatRequest ir = AnthropicCodec.INSTANCE.decodeRequest(Captures.requestBody(CLAUDE)).withModel("gpt-4.1");
        JsonNode up = Captures.json(ChatCodec.INSTANCE.encodeRequest(ir));
        List<JsonNode> messages = list(up.path("messages"));
        assertEquals("system", messages.get(0).path("role").asText());
        assertTrue(messages.get(0).path("content").asText().contains("You are a Claude agent"));
        assertEquals("user", messages.get(1).path("role").asText());
        assertEquals("system", messages.get(2).path("role").asText());
        JsonNode assistant = messages.get(3);
        assertEquals("assistant", assistant.path("role").asText());
        JsonNode call = assistant.path("tool_calls").get(0);
        assertEquals("toolu_kq18xf56e4", call.path("id").asText());
        assertEquals("Bash", call.path("function").path("name").asText());
        assertTrue(up.path("stream_options").path("include_usage").asBoolean(), "the gateway needs usage to price the call");
        assertEquals("high", up.path("reasoning_effort").asText());
    }

    @Test
    void codexToAnthropic() throws Exception {
        JsonBody codex = Captures.requestBody(CODEX);
        ObjectNode body = (ObjectNode) Captures.json(codex.bytes());
        // The capture trims the tool round trip; add it as CLIENTS.md records it, plus apply_patch.
        ArrayNode input = (ArrayNode) body.get("input");
        input.remove(input.size() - 1);
        input.addObject().put("type", "function_call").put("call_id", "call_1").put("name", "exec_command").put("arguments", "{\"cmd\":\"echo hi\"}");
        input.addObject().put("type", "function_call").put("call_id", "call_2").put("name", "apply_patch_fn").put("arguments", "{}");
        input.addObject().put("type", "function_call_output").put("call_id", "call_1").put("output", "hi\n");
        input.addObject().put("type", "function_call_output").put("call_id", "call_2").put("output", "done");
        input.addObject().put("type", "custom_tool_call").put("call_id", "call_3").put("name", "apply_patch").put("input", "*** Begin Patch\n*** End Patch");
        input.addObject().put("type", "custom_tool_call_output").put("call_id", "call_3").put("output", "patched");
        ArrayNode tools = (ArrayNode) body.get("tools");
        tools.remove(tools.size() - 1);
        ObjectNode patch = tools.addObject().put("type", "custom").put("name", "apply_patch").put("description", "Edit files");
        patch.putObject("format").put("type", "grammar").put("syntax", "lark").put("definition", "start: begin_patch hunk+ end_patch");
        tools.addObject().put("type", "web_search");

        ChatRequest ir = ResponsesCodec.INSTANCE.decodeRequest(JsonBody.parse(JsonBody.MAPPER.writeValueAsBytes(body))).withModel("claude-sonnet-4-5");
        JsonNode up = Captures.json(AnthropicCodec.INSTANCE.encodeRequest(ir));

        assertEquals("claude-sonnet-4-5", up.path("model").asText());
        assertTrue(up.path("max_tokens").asInt() > 0, "Anthropic requires max_tokens");
        // developer messages become system blocks
        JsonNode system = up.path("system");
        assertTrue(system.get(0).path("text").asText().startsWith("You are Codex"));
        assertTrue(system.toString().contains("<permissions instructions>"));
        List<JsonNode> messages = list(up.path("messages"));
        assertEquals("user", messages.get(0).path("role").asText());
        assertTrue(messages.get(0).path("content").get(0).path("text").asText().startsWith("<environment_context>"));
        // parallel calls: one assistant turn with both tool_use blocks, one user turn with both results
        JsonNode calls = messages.get(1);
        assertEquals("assistant", calls.path("role").asText());
        assertEquals(2, calls.path("content").size());
        assertEquals("tool_use", calls.path("content").get(0).path("type").asText());
        assertEquals("call_1", calls.path("content").get(0).path("id").asText());
        assertEquals("echo hi", calls.path("content").get(0).path("input").path("cmd").asText());
        JsonNode results = messages.get(2);
        assertEquals("user", results.path("role").asText());
        assertEquals("tool_result", results.path("content").get(0).path("type").asText());
        assertEquals("call_1", results.path("content").get(0).path("tool_use_id").asText());
        assertEquals("hi\n", results.path("content").get(0).path("content").get(0).path("text").asText());
        // a custom tool call carries its free-form input as one string argument
        JsonNode custom = messages.get(3).path("content").get(0);
        assertEquals("apply_patch", custom.path("name").asText());
        assertEquals("*** Begin Patch\n*** End Patch", custom.path("input").path("input").asText());

        JsonNode anthropicTools = up.path("tools");
        JsonNode exec = anthropicTools.get(0);
        assertEquals("exec_command", exec.path("name").asText());
        assertEquals(codex.node("tools").get(0).path("parameters"), exec.path("input_schema"));
        JsonNode patchTool = list(anthropicTools).stream().filter(t -> t.path("name").asText().equals("apply_patch")).findFirst().orElseThrow();
        assertEquals("string", patchTool.path("input_schema").path("properties").path("input").path("type").asText());
        assertTrue(patchTool.path("input_schema").path("properties").path("input").path("description").asText().contains("start: begin_patch"));
        assertFalse(anthropicTools.toString().contains("web_search"), "hosted tools only OpenAI runs are left out");
        assertEquals("auto", up.path("tool_choice").path("type").asText());
        assertFalse(up.path("tool_choice").has("disable_parallel_tool_use"), "Codex allows parallel calls");
        // Reasoning effort medium, but the last turn's calls came without Claude's thinking (another model's): Claude refuses thinking then.
        assertTrue(up.path("thinking").isMissingNode(), up.path("thinking").toString());
    }

    @Test
    void responsesLiteToolsAreUnderstood() throws Exception {
        ChatRequest ir = ResponsesCodec.INSTANCE.decodeRequest(Captures.requestBody(CODEX_LITE));
        Tool exec = ir.tool("exec");
        assertNotNull(exec, "tools inside the additional_tools item: " + ir.tools());
        assertTrue(exec.custom());
        assertEquals("functions", exec.namespace());
        Tool wait = ir.tool("wait");
        assertNotNull(wait);
        assertFalse(wait.custom());
        assertEquals("cell_id", wait.parameters().path("required").get(0).asText());
        assertTrue(ir.tools().stream().anyMatch(t -> "clock".equals(t.namespace())), "every namespace is read");
        // parallel_tool_calls false becomes Anthropic's disable_parallel_tool_use
        JsonNode up = Captures.json(AnthropicCodec.INSTANCE.encodeRequest(ir));
        assertTrue(up.path("tool_choice").path("disable_parallel_tool_use").asBoolean());
        assertFalse(up.path("messages").toString().contains("additional_tools"));
    }

    @Test
    void chatClientToAnthropicKeepsImagesAndToolErrors() throws Exception {
        String chat = """
                {"model":"m","messages":[
                  {"role":"developer","content":"be brief"},
                  {"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"look","arguments":"{\\"x\\":1}"}}]},
                  {"role":"tool","tool_call_id":"c1","content":"failed"}],
                 "tools":[{"type":"function","function":{"name":"look","parameters":{"type":"object"}}}],
                 "tool_choice":{"type":"function","function":{"name":"look"}},"stop":"END","temperature":0.2}
                """;
        ChatRequest ir = ChatCodec.INSTANCE.decodeRequest(JsonBody.parse(chat.getBytes()));
        JsonNode up = Captures.json(AnthropicCodec.INSTANCE.encodeRequest(ir));
        assertEquals("be brief", up.path("system").get(0).path("text").asText());
        JsonNode image = up.path("messages").get(0).path("content").get(1);
        assertEquals("base64", image.path("source").path("type").asText());
        assertEquals("image/png", image.path("source").path("media_type").asText());
        assertEquals("iVBORw0KGgo=", image.path("source").path("data").asText());
        assertEquals("tool", up.path("tool_choice").path("type").asText());
        assertEquals("look", up.path("tool_choice").path("name").asText());
        assertEquals("END", up.path("stop_sequences").get(0).asText());
        assertEquals(0.2, up.path("temperature").asDouble());

        // and an Anthropic tool error reaches OpenAI formats marked as one
        String anthropic = """
                {"model":"m","max_tokens":10,"messages":[
                  {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"false"}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"exit 1"}]}]}
                """;
        JsonNode responses = Captures.json(ResponsesCodec.INSTANCE.encodeRequest(AnthropicCodec.INSTANCE.decodeRequest(JsonBody.parse(anthropic.getBytes()))));
        JsonNode output = responses.path("input").get(1);
        assertEquals("function_call_output", output.path("type").asText());
        assertEquals("t1", output.path("call_id").asText());
        assertEquals("Error: exit 1", output.path("output").asText());
    }
}
