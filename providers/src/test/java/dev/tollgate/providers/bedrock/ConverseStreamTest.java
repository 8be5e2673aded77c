package dev.tollgate.providers.bedrock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.gemini.GeminiCodec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.openai.ChatCodec;
import dev.tollgate.providers.openai.ResponsesCodec;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.sse.EventSource;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.translate.TranslatedStream;
import dev.tollgate.providers.usage.Usage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ConverseStream's event-stream frames decoded into the IR as they arrive, and relayed to every client format. */
class ConverseStreamTest {

    private static final ChatRequest CLIENT = new ChatRequest("bedrock/claude", List.of(), List.of(), null, null, null, null, null, null, null, true);

    private static final byte[] START = Frames.event("messageStart", "{\"role\":\"assistant\"}");
    private static final byte[] THINK = Frames.concat(
            Frames.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":\"Let me see.\"}}}"),
            Frames.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"signature\":\"sig-9\"}}}"),
            Frames.event("contentBlockStop", "{\"contentBlockIndex\":0}"));
    private static final byte[] TEXT = Frames.concat(
            Frames.event("contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"text\":\"Hello \"}}"),
            Frames.event("contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"text\":\"there.\"}}"),
            Frames.event("contentBlockStop", "{\"contentBlockIndex\":1}"));
    private static final byte[] TOOL = Frames.concat(
            Frames.event("contentBlockStart", "{\"contentBlockIndex\":2,\"start\":{\"toolUse\":{\"toolUseId\":\"tooluse_7\",\"name\":\"exec_command\"}}}"),
            Frames.event("contentBlockDelta", "{\"contentBlockIndex\":2,\"delta\":{\"toolUse\":{\"input\":\"{\\\"cmd\\\":\"}}}"),
            Frames.event("contentBlockDelta", "{\"contentBlockIndex\":2,\"delta\":{\"toolUse\":{\"input\":\"\\\"ls\\\"}\"}}}"),
            Frames.event("contentBlockStop", "{\"contentBlockIndex\":2}"));
    private static final byte[] END = Frames.concat(
            Frames.event("messageStop", "{\"stopReason\":\"tool_use\"}"),
            Frames.event("metadata", "{\"usage\":{\"inputTokens\":30,\"outputTokens\":12,\"totalTokens\":142,"
                    + "\"cacheReadInputTokens\":90,\"cacheWriteInputTokens\":10},\"metrics\":{\"latencyMs\":9}}"));
    private static final byte[] WHOLE = Frames.concat(START, THINK, TEXT, TOOL, END);
    private static final Usage USAGE = new Usage(130, 12, 90, 10, 0);

    private static List<StreamEvent> decodeAll(byte[] bytes) throws IOException {
        WireCodec.StreamDecoder decoder = ConverseCodec.INSTANCE.streamDecoder();
        EventSource source = decoder.reader(Frames.trickle(bytes, 5));
        List<StreamEvent> events = new ArrayList<>();
        for (SseEvent e = source.next(); e != null; e = source.next()) {
            events.addAll(decoder.decode(e));
        }
        events.addAll(decoder.end());
        return events;
    }

    @Test
    void decodesEachBlockInOrder() throws IOException {
        List<StreamEvent> events = decodeAll(WHOLE);
        assertInstanceOf(StreamEvent.Started.class, events.get(0));
        assertEquals(List.of(
                new StreamEvent.BlockStarted(0, new Part.Thinking("", null, null)),
                new StreamEvent.ThinkingDelta(0, "Let me see."),
                new StreamEvent.ThinkingSealed(0, "sig-9", null),
                new StreamEvent.BlockStopped(0),
                new StreamEvent.BlockStarted(1, new Part.Text("")),
                new StreamEvent.TextDelta(1, "Hello "),
                new StreamEvent.TextDelta(1, "there."),
                new StreamEvent.BlockStopped(1),
                new StreamEvent.BlockStarted(2, new Part.ToolCall("tooluse_7", "exec_command", "")),
                new StreamEvent.ToolArgumentsDelta(2, "{\"cmd\":"),
                new StreamEvent.ToolArgumentsDelta(2, "\"ls\"}"),
                new StreamEvent.BlockStopped(2),
                new StreamEvent.Finished(StopReason.TOOL_USE, USAGE)), events.subList(1, events.size()));
    }

    @Test
    void aStreamWithoutMetadataStillFinishesOnItsStopReason() throws IOException {
        List<StreamEvent> events = decodeAll(Frames.concat(START, TEXT, Frames.event("messageStop", "{\"stopReason\":\"max_tokens\"}")));
        assertEquals(new StreamEvent.Finished(StopReason.MAX_TOKENS, Usage.NONE), events.getLast());
    }

    private static String relay(byte[] upstream, WireCodec.StreamEncoder encoder, List<TranslatedStream.Outcome> outcome) {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        outcome.add(TranslatedStream.relay(new ByteArrayInputStream(upstream), client, ConverseCodec.INSTANCE.streamDecoder(), encoder));
        return client.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyClientSurfaceGetsItsOwnStream() {
        List<TranslatedStream.Outcome> outcomes = new ArrayList<>();
        String anthropic = relay(WHOLE, AnthropicCodec.INSTANCE.streamEncoder(CLIENT), outcomes);
        assertTrue(anthropic.contains("\"type\":\"thinking_delta\",\"thinking\":\"Let me see.\""), anthropic);
        assertTrue(anthropic.contains("\"signature\":\"sig-9\""), anthropic);
        assertTrue(anthropic.contains("\"text\":\"Hello \""), anthropic);
        assertTrue(anthropic.contains("\"type\":\"tool_use\",\"id\":\"tooluse_7\",\"name\":\"exec_command\""), anthropic);
        assertTrue(anthropic.contains("\"stop_reason\":\"tool_use\""), anthropic);
        assertTrue(anthropic.contains("\"cache_read_input_tokens\":90"), anthropic);
        assertTrue(anthropic.contains("event: message_stop"), anthropic);

        String responses = relay(WHOLE, ResponsesCodec.INSTANCE.streamEncoder(CLIENT), outcomes);
        assertTrue(responses.contains("event: response.output_text.delta"), responses);
        assertTrue(responses.contains("\"call_id\":\"tooluse_7\""), responses);
        assertTrue(responses.contains("event: response.completed"), responses);
        assertTrue(responses.contains("\"cached_tokens\":90"), responses);

        String chat = relay(WHOLE, ChatCodec.INSTANCE.streamEncoder(CLIENT, true), outcomes);
        assertTrue(chat.contains("\"content\":\"Hello \""), chat);
        assertTrue(chat.contains("\"finish_reason\":\"tool_calls\""), chat);
        assertTrue(chat.contains("\"prompt_tokens\":130"), chat);
        assertTrue(chat.contains("data: [DONE]"), chat);

        String gemini = relay(WHOLE, GeminiCodec.INSTANCE.streamEncoder(CLIENT), outcomes);
        assertTrue(gemini.contains("\"functionCall\""), gemini);
        assertTrue(gemini.contains("\"promptTokenCount\":130"), gemini);

        for (TranslatedStream.Outcome o : outcomes) {
            assertInstanceOf(RelayOutcome.Completed.class, o.relay());
            assertEquals(USAGE, o.usage());
        }
    }

    @Test
    void anExceptionEventBecomesTheClientsErrorEvent() {
        byte[] upstream = Frames.concat(START, TEXT, Frames.exception("modelStreamErrorException", "{\"message\":\"The model broke.\"}"));
        List<TranslatedStream.Outcome> outcomes = new ArrayList<>();
        String anthropic = relay(upstream, AnthropicCodec.INSTANCE.streamEncoder(CLIENT), outcomes);
        assertTrue(anthropic.contains("event: error"), anthropic);
        assertTrue(anthropic.contains("The model broke."), anthropic);
        assertInstanceOf(RelayOutcome.UpstreamBroke.class, outcomes.getFirst().relay(), "an in-band failure is a cut, not an answer");
        assertTrue(outcomes.getFirst().outputRelayed() > 0, "what was generated is charged: " + outcomes.getFirst());
    }

    @Test
    void aCutStreamEndsWithTheClientsFailureAndTheUsageSoFar() {
        byte[] upstream = Frames.concat(START, TEXT);
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.Outcome outcome = TranslatedStream.relay(Frames.breaking(Frames.concat(upstream, new byte[7])), client,
                ConverseCodec.INSTANCE.streamDecoder(), ResponsesCodec.INSTANCE.streamEncoder(CLIENT));
        assertInstanceOf(RelayOutcome.UpstreamBroke.class, outcome.relay());
        String out = client.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("\"delta\":\"there.\""), "what arrived was relayed: " + out);
        assertTrue(out.contains("response.failed"), out);
        assertEquals(3, outcome.outputRelayed(), "'Hello there.' relayed: 3 o200k tokens: " + outcome);
        assertEquals(dev.tollgate.providers.usage.Usage.NONE, outcome.usage(), "Bedrock reports usage only at its end");
    }

    @Test
    void aBadCrcMidStreamIsABrokenStream() {
        byte[] bad = Frames.concat(START, TEXT);
        bad[bad.length - 1] ^= 1;
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.Outcome outcome = TranslatedStream.relay(new ByteArrayInputStream(bad), client,
                ConverseCodec.INSTANCE.streamDecoder(), AnthropicCodec.INSTANCE.streamEncoder(CLIENT));
        RelayOutcome.UpstreamBroke broke = assertInstanceOf(RelayOutcome.UpstreamBroke.class, outcome.relay());
        assertTrue(broke.cause().getMessage().contains("CRC"), broke.cause().getMessage());
        assertTrue(client.toString(StandardCharsets.UTF_8).contains("event: error"));
    }

    @Test
    void foldsAWholeAnswerForAClientThatDidNotStream() throws IOException {
        TranslatedStream.Folded folded = TranslatedStream.fold(new ByteArrayInputStream(WHOLE), ConverseCodec.INSTANCE.streamDecoder());
        assertEquals(StopReason.TOOL_USE, folded.response().stopReason());
        assertEquals(new Part.Text("Hello there."), folded.response().content().get(1));
        assertEquals(USAGE, folded.response().usage());
    }
}
