package dev.tollgate.providers.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.gemini.GeminiCodec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.openai.ResponsesCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A provider's signed reasoning goes out to a client of another format and comes back on its next
 * turn exactly as the provider sent it; to any other provider it is dropped and counted.
 */
class ReasoningContinuityTest {

    private static final String THINKING = "Let me think \"quoted\" \u00e9 \n about it.";
    private static final String SIGNATURE = "EqQBCkYIBxgCKkD+sig/with+base64==";
    private static final String REDACTED = "EmwKAhgBEgy3redacted+data/==";

    /** Claude thinks (signed), thinks in secret (redacted), then calls a tool. */
    private static final String CLAUDE_STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":10,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":%s}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"%s"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"%s"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"exec_command","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"cmd\\":\\"ls\\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}}

            event: message_stop
            data: {"type":"message_stop"}

            """.formatted(Json.object().textNode(THINKING).toString(), SIGNATURE, REDACTED);

    private static final String GEMINI_SIGNATURE = "CiQBcsjafD+gemini/sig==";

    /** Gemini 3 calls a tool, the call signed. */
    private static final String GEMINI_STREAM = """
            data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"exec_command","args":{"cmd":"ls"}},"thoughtSignature":"%s"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":8},"modelVersion":"gemini-3-pro","responseId":"r1"}

            """.formatted(GEMINI_SIGNATURE);

    private static final ChatRequest CODEX = new ChatRequest("m", List.of(), List.of(), null, null, null, null, null, null, null, true);

    /** The client's stream, and the output items of its terminal event (what Codex keeps as history). */
    private static ArrayNode relayToCodex(String upstream, WireCodec upstreamCodec) throws Exception {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.relay(new ByteArrayInputStream(upstream.getBytes(StandardCharsets.UTF_8)), client,
                upstreamCodec.streamDecoder(), ResponsesCodec.INSTANCE.streamEncoder(CODEX));
        ArrayNode output = null;
        for (String line : client.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("data: ") && line.contains("\"response.completed\"")) {
                output = (ArrayNode) Json.parse(line.substring(6).getBytes(StandardCharsets.UTF_8)).path("response").path("output");
            }
        }
        return output;
    }

    /** Codex's next turn: the items it got back, then the tool's output. */
    private static ChatRequest nextCodexTurn(ArrayNode history, String callId) throws Exception {
        ObjectNode body = Json.object().put("model", "m").put("stream", true);
        ArrayNode input = body.putArray("input");
        input.addObject().put("type", "message").put("role", "user").putArray("content").addObject().put("type", "input_text").put("text", "go");
        input.addAll(history);
        input.addObject().put("type", "function_call_output").put("call_id", callId).put("output", "a b c");
        return ResponsesCodec.INSTANCE.decodeRequest(JsonBody.parse(Json.bytes(body)));
    }

    @Test
    void claudeThinkingAndRedactedThinkingSurviveACodexTurnByteForByte() throws Exception {
        ArrayNode history = relayToCodex(CLAUDE_STREAM, AnthropicCodec.INSTANCE);
        assertEquals(List.of("reasoning", "reasoning", "function_call"),
                List.of(history.get(0).path("type").asText(), history.get(1).path("type").asText(), history.get(2).path("type").asText()),
                "redacted thinking is a reasoning item, not an empty message: " + history);
        ChatRequest next = nextCodexTurn(history, "toolu_1");

        CrossProvider.Carried carried = CrossProvider.forUpstream(next, Api.MESSAGES);
        assertTrue(carried.dropped().isEmpty(), carried.dropped().toString());
        JsonNode sent = Json.parse(AnthropicCodec.INSTANCE.encodeRequest(carried.request()));
        JsonNode assistant = sent.path("messages").path(1);
        assertEquals("assistant", assistant.path("role").asText());
        JsonNode blocks = assistant.path("content");
        assertEquals("thinking", blocks.path(0).path("type").asText(), sent.toString());
        assertEquals(THINKING, blocks.path(0).path("thinking").asText());
        assertEquals(SIGNATURE, blocks.path(0).path("signature").asText());
        assertEquals("redacted_thinking", blocks.path(1).path("type").asText());
        assertEquals(REDACTED, blocks.path(1).path("data").asText());
        assertEquals("tool_use", blocks.path(2).path("type").asText());
    }

    @Test
    void aCodexClientThatRewritesTheSummaryStillSendsBackWhatClaudeSigned() throws Exception {
        ArrayNode history = relayToCodex(CLAUDE_STREAM, AnthropicCodec.INSTANCE);
        ((ObjectNode) history.get(0)).putArray("summary").addObject().put("type", "summary_text").put("text", "(edited)");
        ChatRequest next = nextCodexTurn(history, "toolu_1");
        JsonNode sent = Json.parse(AnthropicCodec.INSTANCE.encodeRequest(CrossProvider.forUpstream(next, Api.MESSAGES).request()));
        assertEquals(THINKING, sent.path("messages").path(1).path("content").path(0).path("thinking").asText());
    }

    @Test
    void claudeReasoningSentToGeminiOrOpenAiIsDroppedAndCounted() throws Exception {
        ChatRequest next = nextCodexTurn(relayToCodex(CLAUDE_STREAM, AnthropicCodec.INSTANCE), "toolu_1");
        CrossProvider.Carried toGemini = CrossProvider.forUpstream(next, Api.GEMINI);
        assertEquals(Map.of("reasoning", 2), toGemini.dropped().counts());
        String gemini = new String(GeminiCodec.INSTANCE.encodeRequest(toGemini.request()), StandardCharsets.UTF_8);
        assertFalse(gemini.contains(SIGNATURE) || gemini.contains(REDACTED), gemini);
        CrossProvider.Carried toOpenAi = CrossProvider.forUpstream(next, Api.RESPONSES);
        assertEquals(Map.of("reasoning", 2), toOpenAi.dropped().counts());
        assertFalse(new String(ResponsesCodec.INSTANCE.encodeRequest(toOpenAi.request()), StandardCharsets.UTF_8).contains("tollgate."));
    }

    @Test
    void claudeThinkingSurvivesAGeminiClientInTheCallsThoughtSignature() throws Exception {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.relay(new ByteArrayInputStream(CLAUDE_STREAM.getBytes(StandardCharsets.UTF_8)), client,
                AnthropicCodec.INSTANCE.streamDecoder(), GeminiCodec.INSTANCE.streamEncoder(CODEX));
        // Gemini CLI keeps the model's parts as they came, thoughts left out.
        ArrayNode parts = Json.object().arrayNode();
        for (String line : client.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("data: ")) {
                for (JsonNode p : Json.parse(line.substring(6).getBytes(StandardCharsets.UTF_8)).path("candidates").path(0).path("content").path("parts")) {
                    if (!p.path("thought").asBoolean(false) && !(p.has("text") && p.path("text").asText().isEmpty())) {
                        parts.add(p);
                    }
                }
            }
        }
        assertEquals(1, parts.size(), parts.toString());
        String callId = parts.get(0).path("functionCall").path("id").asText();
        ObjectNode body = Json.object();
        ArrayNode contents = body.putArray("contents");
        contents.addObject().put("role", "user").putArray("parts").addObject().put("text", "go");
        contents.addObject().put("role", "model").set("parts", parts);
        contents.addObject().put("role", "user").putArray("parts").addObject().putObject("functionResponse").put("id", callId)
                .put("name", "exec_command").putObject("response").put("output", "a b c");
        ChatRequest next = GeminiCodec.INSTANCE.decodeRequest(JsonBody.parse(Json.bytes(body)));
        CrossProvider.Carried carried = CrossProvider.forUpstream(next, Api.MESSAGES);
        assertTrue(carried.dropped().isEmpty(), carried.dropped().toString());
        JsonNode blocks = Json.parse(AnthropicCodec.INSTANCE.encodeRequest(carried.request())).path("messages").path(1).path("content");
        assertEquals(THINKING, blocks.path(0).path("thinking").asText(), blocks.toString());
        assertEquals(SIGNATURE, blocks.path(0).path("signature").asText());
        assertEquals(REDACTED, blocks.path(1).path("data").asText());
        assertEquals("tool_use", blocks.path(2).path("type").asText());
        String toGemini = new String(GeminiCodec.INSTANCE.encodeRequest(CrossProvider.forUpstream(next, Api.GEMINI).request()), StandardCharsets.UTF_8);
        assertFalse(toGemini.contains("tollgate."), "a Gemini upstream never sees the carrier: " + toGemini);
    }

    @Test
    void aChatClientsToolTurnWithoutItsThinkingGoesToClaudeWithThinkingOff() throws Exception {
        ChatRequest chat = dev.tollgate.providers.openai.ChatCodec.INSTANCE.decodeRequest(JsonBody.parse("""
                {"model":"m","reasoning_effort":"high","messages":[{"role":"user","content":"go"},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"exec_command","arguments":"{}"}}]},
                 {"role":"tool","tool_call_id":"toolu_1","content":"ok"}],
                 "tools":[{"type":"function","function":{"name":"exec_command","parameters":{"type":"object"}}}]}
                """.getBytes(StandardCharsets.UTF_8)));
        JsonNode sent = Json.parse(AnthropicCodec.INSTANCE.encodeRequest(CrossProvider.forUpstream(chat, Api.MESSAGES).request()));
        assertTrue(sent.path("thinking").isMissingNode(), "Claude would refuse thinking here: " + sent);
        ChatRequest fresh = dev.tollgate.providers.openai.ChatCodec.INSTANCE.decodeRequest(JsonBody.parse("""
                {"model":"m","reasoning_effort":"high","messages":[{"role":"user","content":"go"}]}
                """.getBytes(StandardCharsets.UTF_8)));
        assertEquals("enabled", Json.parse(AnthropicCodec.INSTANCE.encodeRequest(fresh)).path("thinking").path("type").asText());
    }

    @Test
    void geminiCallSignaturesComeBackOnTheirCallsThroughCodex() throws Exception {
        ArrayNode history = relayToCodex(GEMINI_STREAM, GeminiCodec.INSTANCE);
        String callId = history.get(history.size() - 1).path("call_id").asText();
        ChatRequest next = nextCodexTurn(history, callId);
        CrossProvider.Carried carried = CrossProvider.forUpstream(next, Api.GEMINI);
        assertTrue(carried.dropped().isEmpty());
        JsonNode sent = Json.parse(GeminiCodec.INSTANCE.encodeRequest(carried.request()));
        JsonNode call = sent.path("contents").path(1).path("parts").path(0);
        assertEquals("exec_command", call.path("functionCall").path("name").asText(), sent.toString());
        assertEquals(GEMINI_SIGNATURE, call.path("thoughtSignature").asText());

        CrossProvider.Carried toClaude = CrossProvider.forUpstream(next, Api.MESSAGES);
        assertEquals(Map.of("reasoning", 1), toClaude.dropped().counts());
        assertFalse(new String(AnthropicCodec.INSTANCE.encodeRequest(toClaude.request()), StandardCharsets.UTF_8).contains(GEMINI_SIGNATURE));
    }

    @Test
    void geminiCallSignaturesComeBackThroughAnAnthropicClient() throws Exception {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.relay(new ByteArrayInputStream(GEMINI_STREAM.getBytes(StandardCharsets.UTF_8)), client,
                GeminiCodec.INSTANCE.streamDecoder(), AnthropicCodec.INSTANCE.streamEncoder(CODEX));
        // Fold the Anthropic stream into the assistant message Claude Code keeps.
        ArrayNode content = Json.object().arrayNode();
        for (String line : client.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            JsonNode e = Json.parse(line.substring(6).getBytes(StandardCharsets.UTF_8));
            switch (e.path("type").asText()) {
                case "content_block_start" -> content.add(e.path("content_block").deepCopy());
                case "content_block_delta" -> {
                    ObjectNode block = (ObjectNode) content.get(e.path("index").asInt());
                    JsonNode d = e.path("delta");
                    if (d.has("signature")) {
                        block.put("signature", d.path("signature").asText());
                    } else if (d.has("partial_json")) {
                        block.set("input", Json.parseOrString(d.path("partial_json").asText()));
                    }
                }
                default -> { }
            }
        }
        String callId = content.get(1).path("id").asText();
        ObjectNode body = Json.object().put("model", "m").put("max_tokens", 100);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "user").put("content", "go");
        messages.addObject().put("role", "assistant").set("content", content);
        messages.addObject().put("role", "user").putArray("content").addObject().put("type", "tool_result").put("tool_use_id", callId).put("content", "ok");
        ChatRequest next = AnthropicCodec.INSTANCE.decodeRequest(JsonBody.parse(Json.bytes(body)));
        JsonNode sent = Json.parse(GeminiCodec.INSTANCE.encodeRequest(CrossProvider.forUpstream(next, Api.GEMINI).request()));
        assertEquals(GEMINI_SIGNATURE, sent.path("contents").path(1).path("parts").path(0).path("thoughtSignature").asText(), sent.toString());
    }
}
