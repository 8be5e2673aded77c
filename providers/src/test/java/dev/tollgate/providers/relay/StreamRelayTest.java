package dev.tollgate.providers.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.UsageTap;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** A passthrough stream is complete only with its dialect's terminal event, and never relays a malformed event. */
class StreamRelayTest {

    private static RelayOutcome relay(Api api, String upstream, ByteArrayOutputStream client) {
        return StreamRelay.relay(new ByteArrayInputStream(upstream.getBytes(StandardCharsets.UTF_8)), client,
                UsageTap.forStream(api, false), StreamRelay.BeforeWrite.NONE, StreamEnd.of(api));
    }

    /** Per surface: a stream that stops short of its end, and the event that ends it. */
    enum Dialect {
        CHAT(Api.CHAT_COMPLETIONS, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"),
        RESPONSES(Api.RESPONSES, "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n",
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"),
        MESSAGES(Api.MESSAGES, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n",
                "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
        GEMINI(Api.GEMINI, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}]},\"index\":0}]}\n\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}]},\"finishReason\":\"STOP\",\"index\":0}]}\n\n");

        final Api api;
        final String partial;
        final String end;

        Dialect(Api api, String partial, String end) {
            this.api = api;
            this.partial = partial;
            this.end = end;
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aStreamWithItsTerminalEventIsComplete(Dialect d) {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        assertInstanceOf(RelayOutcome.Completed.class, relay(d.api, d.partial + d.end, client));
        assertEquals(d.partial + d.end, client.toString(StandardCharsets.UTF_8), "relayed byte for byte");
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aStreamThatEndsWithoutItsTerminalEventBrokeOff(Dialect d) {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        RelayOutcome.UpstreamBroke broke = assertInstanceOf(RelayOutcome.UpstreamBroke.class, relay(d.api, d.partial, client));
        assertEquals(1, broke.eventsRelayed());
        assertTrue(broke.cause().getMessage().contains("before its final event"), broke.cause().getMessage());
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aMalformedEventIsNotRelayedAndBreaksTheStream(Dialect d) {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        RelayOutcome.UpstreamBroke broke = assertInstanceOf(RelayOutcome.UpstreamBroke.class,
                relay(d.api, d.partial + "data: {not json\n\n" + d.end, client));
        assertEquals(d.partial, client.toString(StandardCharsets.UTF_8), "nothing from the malformed event on");
        assertTrue(broke.cause().getMessage().contains("malformed"), broke.cause().getMessage());
    }

    @Test
    void commentsPingsAndDoneAreWellFormed() {
        assertTrue(StreamEnd.wellFormed(event(": OPENROUTER PROCESSING\n\n")));
        assertTrue(StreamEnd.wellFormed(event("event: ping\ndata: {\"type\": \"ping\"}\n\n")));
        assertTrue(StreamEnd.wellFormed(event("data: [DONE]\n\n")));
        assertFalse(StreamEnd.wellFormed(event("data: {not json\n\n")));
        assertFalse(StreamEnd.wellFormed(event("data: {\"a\":1}}\n\n")), "trailing garbage");
        assertFalse(StreamEnd.wellFormed(event("<html>oops</html>\n\n")), "not an event at all");
    }

    private static SseEvent event(String raw) {
        return new SseEvent(raw.getBytes(StandardCharsets.UTF_8));
    }
}
