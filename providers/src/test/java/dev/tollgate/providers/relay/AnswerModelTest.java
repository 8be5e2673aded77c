package dev.tollgate.providers.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** One rule for the answer's model field: the public name the client asked for, also when the bytes pass through. */
class AnswerModelTest {

    private static String whole(Api api, String json) {
        return new String(AnswerModel.whole(api, json.getBytes(StandardCharsets.UTF_8), "sim/echo"), StandardCharsets.UTF_8);
    }

    private static String event(Api api, String raw) {
        return new String(AnswerModel.event(api, new SseEvent(raw.getBytes(StandardCharsets.UTF_8)), "sim/echo").raw(), StandardCharsets.UTF_8);
    }

    @Test
    void wholeAnswersNameTheRequestedModelAndKeepEveryOtherByte() {
        assertEquals("{\"id\":\"c\", \"model\":\"sim/echo\",\"x_unknown\":[1, 2]}", whole(Api.CHAT_COMPLETIONS, "{\"id\":\"c\", \"model\":\"echo\",\"x_unknown\":[1, 2]}"));
        assertEquals("{\"model\":\"sim/echo\",\"output\":[]}", whole(Api.RESPONSES, "{\"model\":\"echo-2025\",\"output\":[]}"));
        assertEquals("{\"type\":\"message\",\"model\":\"sim/echo\"}", whole(Api.MESSAGES, "{\"type\":\"message\",\"model\":\"claude-x\"}"));
        assertEquals("{\"candidates\":[],\"modelVersion\":\"sim/echo\"}", whole(Api.GEMINI, "{\"candidates\":[],\"modelVersion\":\"gemini-x-001\"}"));
        assertEquals("{\"choices\":[]}", whole(Api.CHAT_COMPLETIONS, "{\"choices\":[]}"), "no field is added where the provider sent none");
        assertEquals("not json", whole(Api.CHAT_COMPLETIONS, "not json"), "what does not parse is left as it is");
    }

    @Test
    void streamEventsNameTheRequestedModelWhereEachDialectCarriesIt() {
        assertEquals("data: {\"id\":\"c\",\"model\":\"sim/echo\",\"choices\":[]}\n\n",
                event(Api.CHAT_COMPLETIONS, "data: {\"id\":\"c\",\"model\":\"echo\",\"choices\":[]}\n\n"));
        assertEquals("event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"sim/echo\"}}\n\n",
                event(Api.RESPONSES, "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"echo\"}}\n\n"));
        assertEquals("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"sim/echo\",\"usage\":{}}}\n\n",
                event(Api.MESSAGES, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{}}}\n\n"));
        assertEquals("data: {\"candidates\":[],\"modelVersion\":\"sim/echo\"}\r\n\r\n",
                event(Api.GEMINI, "data: {\"candidates\":[],\"modelVersion\":\"g-001\"}\r\n\r\n"));
        SseEvent delta = new SseEvent("data: {\"type\":\"response.output_text.delta\",\"delta\":\"model\"}\n\n".getBytes(StandardCharsets.UTF_8));
        assertSame(delta, AnswerModel.event(Api.RESPONSES, delta, "sim/echo"), "an event without the field passes untouched");
        SseEvent done = new SseEvent("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        assertSame(done, AnswerModel.event(Api.CHAT_COMPLETIONS, done, "sim/echo"));
    }
}
