package dev.tollgate.providers.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Each dialect's tap keeps the generated content it relays (text, tool-call arguments, reasoning), so a
 * stream cut before the provider's final count is charged that content's tokens; nothing else of an
 * event (ids, roles, signatures, usage) counts.
 */
class RelayedOutputTest {

    private static SseEvent event(String text) {
        return new SseEvent(text.getBytes(StandardCharsets.UTF_8));
    }

    /** As the relay does: the tap sees the event, then it is written to the client. */
    private static void feed(UsageTap tap, SseEvent event) {
        if (tap.accept(event)) {
            tap.written(event);
        }
    }

    @Test
    void onlyWhatWasWrittenCounts() {
        UsageTap tap = UsageTap.forStream(Api.MESSAGES, false);
        SseEvent delta = event("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Hello\"}}\n\n");
        tap.accept(delta); // the client went away before it was written
        assertEquals(0, tap.relayed().tokens());
    }

    private static final String TEXT = "Hello from the Tollgate provider simulator,";
    private static final String ARGS = "{\"cmd\":\"echo hi\"}";

    @Test
    void countsTheWholeTextInO200kTokens() {
        RelayedOutput out = new RelayedOutput();
        for (String word : TEXT.split("(?= )")) {
            out.add(word);
        }
        assertEquals(RelayedOutput.tokens(TEXT), out.tokens());
        assertTrue(out.tokens() > TEXT.split(" ").length, "more tokens than words: 'Tollgate' and 'simulator,' are two each");
    }

    @Test
    void aLongAnswerIsCountedAsItGoesAndStillSumsUp() {
        RelayedOutput out = new RelayedOutput();
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            String word = " word" + (i % 7);
            out.add(word);
            all.append(word);
        }
        assertEquals(RelayedOutput.tokens(all.toString()), out.tokens());
    }

    @Test
    void chatCountsContentAndToolArguments() {
        UsageTap tap = UsageTap.forStream(Api.CHAT_COMPLETIONS, false);
        feed(tap, event("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"));
        feed(tap, event("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + TEXT + "\"}}]}\n\n"));
        feed(tap, event("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"exec_command\",\"arguments\":\"" + ARGS.replace("\"", "\\\"") + "\"}}]}}]}\n\n"));
        assertEquals(RelayedOutput.tokens(TEXT) + RelayedOutput.tokens(ARGS), tap.relayed().tokens());
        assertEquals(Usage.NONE, tap.usage());
    }

    @Test
    void responsesCountsTextAndArgumentDeltas() {
        UsageTap tap = UsageTap.forStream(Api.RESPONSES, false);
        feed(tap, event("event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"usage\":null}}\n\n"));
        feed(tap, event("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"delta\":\""
                + TEXT + "\",\"logprobs\":[]}\n\n"));
        feed(tap, event("event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\","
                + "\"item_id\":\"fc_1\",\"delta\":\"" + ARGS.replace("\"", "\\\"") + "\"}\n\n"));
        assertEquals(RelayedOutput.tokens(TEXT) + RelayedOutput.tokens(ARGS), tap.relayed().tokens());
    }

    @Test
    void anthropicCountsTheDeltasAfterMessageStartBesideItsUsage() {
        UsageTap tap = UsageTap.forStream(Api.MESSAGES, false);
        feed(tap, event("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\","
                + "\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}\n\n"));
        feed(tap, event("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
                + "\"thinking\":\"Let me see.\"}}\n\n"));
        feed(tap, event("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
                + "\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"));
        feed(tap, event("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"" + TEXT + "\"}}\n\n"));
        feed(tap, event("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"" + ARGS.replace("\"", "\\\"") + "\"}}\n\n"));
        assertEquals(new Usage(40, 1, 0, 0, 0), tap.usage(), "message_start's input and provisional output");
        assertEquals(RelayedOutput.tokens("Let me see.") + RelayedOutput.tokens(TEXT) + RelayedOutput.tokens(ARGS), tap.relayed().tokens(),
                "thinking, text and tool input; not the signature");
    }

    @Test
    void geminiCountsTextAndFunctionCallArgs() {
        UsageTap tap = UsageTap.forStream(Api.GEMINI, false);
        feed(tap, event("data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"" + TEXT + "\"}]},\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":7},\"modelVersion\":\"gemini-x\",\"responseId\":\"r1\"}\n\n"));
        feed(tap, event("data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"run\",\"args\":"
                + ARGS + "},\"thoughtSignature\":\"c2lnbmF0dXJl\"}]},\"index\":0}]}\n\n"));
        assertEquals(RelayedOutput.tokens(TEXT) + RelayedOutput.tokens(ARGS), tap.relayed().tokens());
        assertEquals(9, tap.usage().inputTokens(), "Gemini's usage so far, from its chunks");
    }

    @Test
    void converseCountsTextAndToolInputDeltas() {
        UsageTap tap = UsageTap.forStream(Api.CONVERSE, false);
        feed(tap, event("event: contentBlockDelta\ndata: {\"contentBlockIndex\":0,\"delta\":{\"text\":\"" + TEXT + "\"}}\n\n"));
        feed(tap, event("event: contentBlockDelta\ndata: {\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\""
                + ARGS.replace("\"", "\\\"") + "\"}}}\n\n"));
        assertEquals(RelayedOutput.tokens(TEXT) + RelayedOutput.tokens(ARGS), tap.relayed().tokens());
    }
}
