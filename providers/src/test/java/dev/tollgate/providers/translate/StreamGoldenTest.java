package dev.tollgate.providers.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.gemini.GeminiCodec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Message;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.Role;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.Tool;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.openai.ChatCodec;
import dev.tollgate.providers.openai.ResponsesCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Captured provider streams translated into each client's stream, checked event by event. */
class StreamGoldenTest {

    private static ChatRequest client(String model, Tool... tools) {
        return new ChatRequest(model, List.of(new Message(Role.USER, List.of(new Part.Text("hi")))), List.of(tools), null, null,
                null, null, null, null, null, true);
    }

    private static String types(List<JsonNode> events) {
        return String.join(",", events.stream().map(e -> e.path("type").asText(e.isTextual() ? e.asText() : "chunk")).toList());
    }

    @Test
    void anthropicToolUseToResponses() throws Exception {
        List<JsonNode> out = Captures.translate("resp-anthropic-tool-use.sse", AnthropicCodec.INSTANCE, ResponsesCodec.INSTANCE, client("claude"));
        assertEquals("response.created,response.output_item.added,response.function_call_arguments.delta,"
                + "response.function_call_arguments.done,response.output_item.done,response.completed", types(out));
        JsonNode item = Captures.ofType(out, "response.output_item.done").getFirst().path("item");
        assertEquals("function_call", item.path("type").asText());
        assertEquals("toolu_17mguclc97", item.path("call_id").asText());
        assertEquals("Bash", item.path("name").asText());
        assertEquals("{\"command\":\"echo tool-ok\",\"description\":\"Run test command\"}", item.path("arguments").asText());
        JsonNode completed = Captures.ofType(out, "response.completed").getFirst().path("response");
        assertEquals("completed", completed.path("status").asText());
        assertEquals("claude", completed.path("model").asText(), "the client sees the model name it asked for");
        assertEquals(12, completed.path("usage").path("input_tokens").asInt());
        assertEquals(5, completed.path("usage").path("output_tokens").asInt());
        assertEquals(item, completed.path("output").get(0));
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i, out.get(i).path("sequence_number").asInt());
        }
    }

    @Test
    void anthropicTextToResponsesAndChat() throws Exception {
        List<JsonNode> out = Captures.translate("resp-anthropic-text.sse", AnthropicCodec.INSTANCE, ResponsesCodec.INSTANCE, client("c"));
        List<JsonNode> deltas = Captures.ofType(out, "response.output_text.delta");
        assertEquals(List.of("Hello from f", "ake upstream"), deltas.stream().map(d -> d.path("delta").asText()).toList());
        JsonNode done = Captures.ofType(out, "response.output_item.done").getFirst().path("item");
        assertEquals("Hello from fake upstream", done.path("content").get(0).path("text").asText());
        assertEquals("assistant", done.path("role").asText());

        List<JsonNode> chat = Captures.translate("resp-anthropic-text.sse", AnthropicCodec.INSTANCE, ChatCodec.INSTANCE, client("c"));
        assertEquals("assistant", chat.get(0).path("choices").get(0).path("delta").path("role").asText());
        assertEquals("Hello from f", chat.get(0).path("choices").get(0).path("delta").path("content").asText());
        assertEquals("stop", chat.get(2).path("choices").get(0).path("finish_reason").asText());
        assertEquals(17, chat.get(3).path("usage").path("total_tokens").asInt());
        assertEquals("[DONE]", chat.get(4).asText());
    }

    @Test
    void responsesFunctionCallToAnthropic() throws Exception {
        List<JsonNode> out = Captures.translate("resp-openai-responses-function-call.sse", ResponsesCodec.INSTANCE, AnthropicCodec.INSTANCE, client("gpt"));
        assertEquals("message_start,content_block_start,content_block_delta,content_block_stop,message_delta,message_stop", types(out));
        JsonNode block = out.get(1).path("content_block");
        assertEquals("tool_use", block.path("type").asText());
        assertEquals("call_gbovuv57o1", block.path("id").asText());
        assertEquals("exec_command", block.path("name").asText());
        assertEquals("{\"cmd\":\"echo tool-ok\"}", out.get(2).path("delta").path("partial_json").asText());
        assertEquals(0, out.get(3).path("index").asInt());
        assertEquals("tool_use", out.get(4).path("delta").path("stop_reason").asText());
        assertEquals(5, out.get(4).path("usage").path("output_tokens").asInt());
    }

    @Test
    void minimalResponsesStreamsStillGiveClaudeCodeEveryEvent() throws Exception {
        for (String capture : List.of("resp-openai-responses-minimal.sse", "resp-openai-responses-ultra-minimal.sse", "resp-openai-responses-full.sse")) {
            List<JsonNode> out = Captures.translate(capture, ResponsesCodec.INSTANCE, AnthropicCodec.INSTANCE, client("gpt"));
            assertEquals("message_start,content_block_start,content_block_delta,content_block_stop,message_delta,message_stop",
                    types(out).replaceAll("(content_block_delta,)+", "content_block_delta,"), capture);
            StringBuilder text = new StringBuilder();
            Captures.ofType(out, "content_block_delta").forEach(d -> text.append(d.path("delta").path("text").asText()));
            assertEquals("Hello from fake upstream", text.toString(), capture);
            assertEquals("end_turn", Captures.ofType(out, "message_delta").getFirst().path("delta").path("stop_reason").asText());
        }
    }

    @Test
    void chatToolCallToAnthropicAndResponses() throws Exception {
        List<JsonNode> out = Captures.translate("resp-chat-tool-call.sse", ChatCodec.INSTANCE, AnthropicCodec.INSTANCE, client("gpt"));
        assertEquals("message_start,content_block_start,content_block_delta,content_block_stop,message_delta,message_stop", types(out));
        assertEquals("shell", out.get(1).path("content_block").path("name").asText());
        assertEquals("call_w5z6qv13n7", out.get(1).path("content_block").path("id").asText());
        assertEquals("tool_use", out.get(4).path("delta").path("stop_reason").asText());
        assertEquals(12, out.get(4).path("usage").path("input_tokens").asInt());

        List<JsonNode> responses = Captures.translate("resp-chat-tool-call.sse", ChatCodec.INSTANCE, ResponsesCodec.INSTANCE, client("gpt"));
        JsonNode item = Captures.ofType(responses, "response.output_item.done").getFirst().path("item");
        assertEquals("{\"command\":[\"bash\",\"-lc\",\"echo tool-ok\"]}", item.path("arguments").asText());
        assertEquals(17, Captures.ofType(responses, "response.completed").getFirst().path("response").path("usage").path("total_tokens").asInt());
    }

    @Test
    void geminiFunctionCallToResponsesAndAnthropic() throws Exception {
        List<JsonNode> out = Captures.translate("resp-gemini-function-call.sse", GeminiCodec.INSTANCE, ResponsesCodec.INSTANCE, client("gemini"));
        JsonNode item = Captures.ofType(out, "response.output_item.done").getFirst().path("item");
        assertEquals("list_directory", item.path("name").asText());
        assertEquals("{\"dir_path\":\".\"}", item.path("arguments").asText());
        JsonNode usage = Captures.ofType(out, "response.completed").getFirst().path("response").path("usage");
        assertEquals(12, usage.path("input_tokens").asInt());
        assertEquals(5, usage.path("output_tokens").asInt());

        List<JsonNode> text = Captures.translate("resp-gemini-text.sse", GeminiCodec.INSTANCE, AnthropicCodec.INSTANCE, client("gemini"));
        assertEquals("message_start,content_block_start,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop", types(text));
        assertEquals("end_turn", text.get(5).path("delta").path("stop_reason").asText());
    }

    @Test
    void anthropicToolUseToGeminiEndsWithFinishReason() throws Exception {
        List<JsonNode> out = Captures.translate("resp-anthropic-tool-use.sse", AnthropicCodec.INSTANCE, GeminiCodec.INSTANCE, client("claude"));
        assertEquals(2, out.size(), "the call whole, then the finish: " + out);
        JsonNode call = out.get(0).path("candidates").get(0).path("content").path("parts").get(0).path("functionCall");
        assertEquals("Bash", call.path("name").asText());
        assertEquals("toolu_17mguclc97", call.path("id").asText());
        assertEquals("echo tool-ok", call.path("args").path("command").asText());
        JsonNode last = out.get(1);
        assertEquals("STOP", last.path("candidates").get(0).path("finishReason").asText(), "Gemini CLI needs finishReason");
        assertEquals(12, last.path("usageMetadata").path("promptTokenCount").asInt());
        assertEquals(17, last.path("usageMetadata").path("totalTokenCount").asInt());
    }

    @Test
    void customToolCallsComeBackAsCustom() {
        Tool patch = new Tool("apply_patch", null, "Edit files", Tool.freeformSchema(null), true);
        WireCodec.StreamEncoder encoder = ResponsesCodec.INSTANCE.streamEncoder(client("claude", patch));
        List<SseEvent> out = new ArrayList<>();
        for (StreamEvent e : List.of(new StreamEvent.Started("msg_1", "m", Usage.NONE),
                new StreamEvent.BlockStarted(0, new Part.ToolCall("toolu_1", "apply_patch", "")),
                new StreamEvent.ToolArgumentsDelta(0, "{\"input\":\"*** Begin"),
                new StreamEvent.ToolArgumentsDelta(0, " Patch\\n\"}"),
                new StreamEvent.BlockStopped(0),
                new StreamEvent.Finished(dev.tollgate.providers.ir.StopReason.TOOL_USE, new Usage(10, 3, 4, 0, 0)))) {
            out.addAll(encoder.encode(e));
        }
        JsonNode done = out.stream().map(e -> {
            try {
                return Captures.data(e);
            } catch (Exception x) {
                throw new AssertionError(x);
            }
        }).filter(e -> e.path("type").asText().equals("response.output_item.done")).findFirst().orElseThrow().path("item");
        assertEquals("custom_tool_call", done.path("type").asText());
        assertEquals("*** Begin Patch\n", done.path("input").asText());
        assertEquals("toolu_1", done.path("call_id").asText());
    }

    @Test
    void anthropicThinkingSurvivesARoundTripThroughCodex() throws Exception {
        String sse = """
                event: message_start
                data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":5,"cache_read_input_tokens":7,"output_tokens":1}}}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"SIG=="}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}

                event: message_stop
                data: {"type":"message_stop"}

                """;
        WireCodec.StreamDecoder decoder = AnthropicCodec.INSTANCE.streamDecoder();
        WireCodec.StreamEncoder encoder = ResponsesCodec.INSTANCE.streamEncoder(client("claude"));
        List<JsonNode> out = new ArrayList<>();
        var reader = new dev.tollgate.providers.sse.SseReader(new java.io.ByteArrayInputStream(sse.getBytes()));
        SseEvent e;
        while ((e = reader.next()) != null) {
            for (StreamEvent ir : decoder.decode(e)) {
                for (SseEvent w : encoder.encode(ir)) {
                    out.add(Captures.data(w));
                }
            }
        }
        JsonNode reasoning = Captures.ofType(out, "response.output_item.done").getFirst().path("item");
        assertEquals("reasoning", reasoning.path("type").asText());
        assertEquals("Let me think.", reasoning.path("summary").get(0).path("text").asText());
        JsonNode usage = Captures.ofType(out, "response.completed").getFirst().path("response").path("usage");
        assertEquals(12, usage.path("input_tokens").asInt(), "cache reads count as input");
        assertEquals(7, usage.path("input_tokens_details").path("cached_tokens").asInt());

        // Codex sends the reasoning item back next turn: Anthropic gets its signed thinking block again.
        String next = "{\"model\":\"m\",\"input\":[" + reasoning + ",{\"type\":\"message\",\"role\":\"user\",\"content\":\"go on\"}]}";
        ChatRequest ir = ResponsesCodec.INSTANCE.decodeRequest(JsonBody.parse(next.getBytes()));
        JsonNode up = Captures.json(AnthropicCodec.INSTANCE.encodeRequest(ir));
        JsonNode thinking = up.path("messages").get(0).path("content").get(0);
        assertEquals("thinking", thinking.path("type").asText());
        assertEquals("Let me think.", thinking.path("thinking").asText());
        assertEquals("SIG==", thinking.path("signature").asText());
        assertTrue(up.path("messages").get(1).toString().contains("go on"));
    }

    @Test
    void aWholeAnswerIsFoldedFromTheStream() throws Exception {
        try (var in = Captures.open("resp-anthropic-tool-use.sse")) {
            TranslatedStream.Folded folded = TranslatedStream.fold(in, AnthropicCodec.INSTANCE.streamDecoder());
            JsonNode chat = Captures.json(ChatCodec.INSTANCE.encodeResponse(folded.response(), client("claude")));
            JsonNode message = chat.path("choices").get(0).path("message");
            assertEquals("Bash", message.path("tool_calls").get(0).path("function").path("name").asText());
            assertEquals("tool_calls", chat.path("choices").get(0).path("finish_reason").asText());
            assertEquals(12, chat.path("usage").path("prompt_tokens").asInt());
            JsonNode responses = Captures.json(ResponsesCodec.INSTANCE.encodeResponse(folded.response(), client("claude")));
            assertEquals("toolu_17mguclc97", responses.path("output").get(0).path("call_id").asText());
            assertEquals("completed", responses.path("status").asText());
        }
    }
}
