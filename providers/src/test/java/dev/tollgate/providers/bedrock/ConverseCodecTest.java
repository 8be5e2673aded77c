package dev.tollgate.providers.bedrock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Message;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.Reasoning;
import dev.tollgate.providers.ir.Role;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.ir.ToolChoice;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Converse requests from the IR and back, and whole answers, field by field. */
class ConverseCodecTest {

    private static final String CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    private static final JsonNode SCHEMA = Json.parseOrString("{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\"}},\"required\":[\"cmd\"]}");

    private static ChatRequest conversation(String model, Reasoning reasoning, ToolChoice choice) {
        return new ChatRequest(model, List.of(
                new Message(Role.SYSTEM, List.of(new Part.Text("Be brief."))),
                new Message(Role.USER, List.of(new Part.Text("Run it."), new Part.Image("image/jpeg", "AAAA", null))),
                new Message(Role.ASSISTANT, List.of(
                        new Part.Thinking("I should run it.", "sig-1", null),
                        new Part.Text("Running."),
                        new Part.ToolCall("tooluse_1", "exec_command", "{\"cmd\":\"echo hi\"}"))),
                new Message(Role.USER, List.of(new Part.ToolResult("tooluse_1", List.of(new Part.Text("hi")), false))),
                new Message(Role.SYSTEM, List.of(new Part.Text("Later instructions.")))),
                List.of(new Tool("exec_command", null, "Runs a command.", SCHEMA, false)), choice, null,
                4096, 0.3, 0.9, List.of("STOP"), reasoning, true);
    }

    private static JsonNode encode(ChatRequest r) {
        return Json.parse(ConverseCodec.INSTANCE.encodeRequest(r));
    }

    @Test
    void encodesEveryPartOfAConversation() {
        JsonNode body = encode(conversation(CLAUDE, null, new ToolChoice(ToolChoice.Mode.TOOL, "exec_command")));
        assertTrue(body.path("model").isMissingNode(), "the model is in the path");
        assertEquals("Be brief.", body.path("system").get(0).path("text").asText());
        assertEquals("Later instructions.", body.path("system").get(1).path("text").asText(), "later instructions join the system prompt");

        JsonNode messages = body.path("messages");
        assertEquals(3, messages.size());
        JsonNode user = messages.get(0);
        assertEquals("user", user.path("role").asText());
        assertEquals("Run it.", user.path("content").get(0).path("text").asText());
        assertEquals("jpeg", user.path("content").get(1).path("image").path("format").asText());
        assertEquals("AAAA", user.path("content").get(1).path("image").path("source").path("bytes").asText());

        JsonNode assistant = messages.get(1).path("content");
        assertEquals("assistant", messages.get(1).path("role").asText());
        assertEquals("I should run it.", assistant.get(0).path("reasoningContent").path("reasoningText").path("text").asText());
        assertEquals("sig-1", assistant.get(0).path("reasoningContent").path("reasoningText").path("signature").asText());
        assertEquals("Running.", assistant.get(1).path("text").asText());
        JsonNode use = assistant.get(2).path("toolUse");
        assertEquals("tooluse_1", use.path("toolUseId").asText());
        assertEquals("exec_command", use.path("name").asText());
        assertEquals("echo hi", use.path("input").path("cmd").asText(), "input is a JSON object, not text");

        JsonNode result = messages.get(2).path("content").get(0).path("toolResult");
        assertEquals("tooluse_1", result.path("toolUseId").asText());
        assertEquals("hi", result.path("content").get(0).path("text").asText());
        assertEquals("success", result.path("status").asText());

        JsonNode config = body.path("inferenceConfig");
        assertEquals(4096, config.path("maxTokens").asInt());
        assertEquals(0.3, config.path("temperature").asDouble(), 1e-9);
        assertEquals(0.9, config.path("topP").asDouble(), 1e-9);
        assertEquals("STOP", config.path("stopSequences").get(0).asText());

        JsonNode spec = body.path("toolConfig").path("tools").get(0).path("toolSpec");
        assertEquals("exec_command", spec.path("name").asText());
        assertEquals("Runs a command.", spec.path("description").asText());
        assertEquals(SCHEMA, spec.path("inputSchema").path("json"));
        assertEquals("exec_command", body.path("toolConfig").path("toolChoice").path("tool").path("name").asText());
        assertTrue(body.path("additionalModelRequestFields").isMissingNode());
    }

    @Test
    void toolChoiceModes() {
        assertTrue(encode(conversation(CLAUDE, null, new ToolChoice(ToolChoice.Mode.REQUIRED, null))).path("toolConfig").path("toolChoice").has("any"));
        assertTrue(encode(conversation(CLAUDE, null, ToolChoice.AUTO)).path("toolConfig").path("toolChoice").has("auto"));
        JsonNode none = encode(conversation(CLAUDE, null, new ToolChoice(ToolChoice.Mode.NONE, null))).path("toolConfig");
        assertTrue(none.path("toolChoice").isMissingNode(), "Converse has no 'none': the tools stay for the past calls");
        assertEquals(1, none.path("tools").size());
    }

    @Test
    void claudeModelsGetAThinkingBudgetWithoutSamplingParameters() {
        JsonNode body = encode(conversation(CLAUDE, new Reasoning("high", null), null));
        JsonNode thinking = body.path("additionalModelRequestFields").path("thinking");
        assertEquals("enabled", thinking.path("type").asText());
        assertEquals(4096 - 1024, thinking.path("budget_tokens").asInt(), "the budget fits under maxTokens");
        assertTrue(body.path("inferenceConfig").path("temperature").isMissingNode());
        assertTrue(body.path("inferenceConfig").path("topP").isMissingNode());

        JsonNode nova = encode(conversation("amazon.nova-pro-v1:0", new Reasoning("high", null), null));
        assertTrue(nova.path("additionalModelRequestFields").isMissingNode(), "other models refuse Anthropic's thinking field");
        assertEquals(0.3, nova.path("inferenceConfig").path("temperature").asDouble(), 1e-9);
    }

    @Test
    void decodesWhatItEncodes() throws Exception {
        byte[] encoded = ConverseCodec.INSTANCE.encodeRequest(conversation(CLAUDE, new Reasoning(null, 2048), ToolChoice.AUTO));
        ChatRequest back = ConverseCodec.INSTANCE.decodeRequest(JsonBody.parse(encoded));
        assertEquals(Role.SYSTEM, back.messages().get(0).role());
        assertEquals("Be brief.\n\nLater instructions.", Message.text(back.messages().get(0).parts()));
        Part.Image image = assertInstanceOf(Part.Image.class, back.messages().get(1).parts().get(1));
        assertEquals("image/jpeg", image.mediaType());
        Part.Thinking thinking = assertInstanceOf(Part.Thinking.class, back.messages().get(2).parts().get(0));
        assertEquals("sig-1", thinking.signature());
        Part.ToolCall call = assertInstanceOf(Part.ToolCall.class, back.messages().get(2).parts().get(2));
        assertEquals("{\"cmd\":\"echo hi\"}", call.arguments());
        Part.ToolResult result = assertInstanceOf(Part.ToolResult.class, back.messages().get(3).parts().get(0));
        assertEquals("tooluse_1", result.callId());
        assertFalse(result.error());
        assertEquals("exec_command", back.tools().getFirst().name());
        assertEquals(SCHEMA, back.tools().getFirst().parameters());
        assertEquals(ToolChoice.AUTO, back.toolChoice());
        assertEquals(4096, back.maxTokens());
        assertEquals(2048, back.reasoning().budgetTokens());
        assertEquals(List.of("STOP"), back.stop());
    }

    @Test
    void decodesAWholeAnswerWithCacheUsage() {
        String body = """
                {"output":{"message":{"role":"assistant","content":[
                  {"reasoningContent":{"reasoningText":{"text":"hmm","signature":"s"}}},
                  {"text":"Let me run it."},
                  {"toolUse":{"toolUseId":"tooluse_9","name":"exec_command","input":{"cmd":"ls"}}}]}},
                 "stopReason":"tool_use",
                 "usage":{"inputTokens":10,"outputTokens":20,"totalTokens":130,"cacheReadInputTokens":80,"cacheWriteInputTokens":20},
                 "metrics":{"latencyMs":5}}""";
        ChatResponse r = ConverseCodec.INSTANCE.decodeResponse(body.getBytes(StandardCharsets.UTF_8), "id-1", CLAUDE);
        assertEquals(StopReason.TOOL_USE, r.stopReason());
        assertEquals(new Part.Thinking("hmm", "s", null), r.content().get(0));
        assertEquals(new Part.Text("Let me run it."), r.content().get(1));
        assertEquals(new Part.ToolCall("tooluse_9", "exec_command", "{\"cmd\":\"ls\"}"), r.content().get(2));
        assertEquals(new Usage(110, 20, 80, 20, 0), r.usage(), "input counts cache reads and writes in, as the IR does");

        ChatResponse again = ConverseCodec.INSTANCE.decodeResponse(ConverseCodec.INSTANCE.encodeResponse(r, null), "id-1", CLAUDE);
        assertEquals(r, again);
    }

    @Test
    void stopReasons() {
        assertEquals(StopReason.END_TURN, ConverseCodec.stopReason("end_turn"));
        assertEquals(StopReason.MAX_TOKENS, ConverseCodec.stopReason("max_tokens"));
        assertEquals(StopReason.STOP_SEQUENCE, ConverseCodec.stopReason("stop_sequence"));
        assertEquals(StopReason.REFUSAL, ConverseCodec.stopReason("guardrail_intervened"));
        assertEquals(StopReason.REFUSAL, ConverseCodec.stopReason("content_filtered"));
        assertEquals(StopReason.MAX_TOKENS, ConverseCodec.stopReason("model_context_window_exceeded"));
    }
}
