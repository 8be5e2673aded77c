package dev.tollgate.providers.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.openai.ResponsesCodec;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.usage.RelayedOutput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The translating relay: event by event, and honest about streams that do not finish. */
class TranslatedStreamTest {

    private static final ChatRequest CLIENT = new ChatRequest("claude", List.of(), List.of(), null, null, null, null, null, null, null, true);

    private static final String START = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":40,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"0123456789abcdef"}}

            """;

    /** An upstream that sends some bytes, then fails the way a reset socket does. */
    private static InputStream breaking(String before) {
        return new InputStream() {
            private final ByteArrayInputStream head = new ByteArrayInputStream(before.getBytes(StandardCharsets.UTF_8));

            @Override
            public int read() throws IOException {
                int b = head.read();
                if (b < 0) {
                    throw new IOException("Connection reset");
                }
                return b;
            }
        };
    }

    @Test
    void aBrokenStreamEndsWithTheClientsFailureAndReportsWhatWasGenerated() {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.Outcome outcome = TranslatedStream.relay(breaking(START), client,
                AnthropicCodec.INSTANCE.streamDecoder(), ResponsesCodec.INSTANCE.streamEncoder(CLIENT));
        assertInstanceOf(RelayOutcome.UpstreamBroke.class, outcome.relay());
        String out = client.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("\"delta\":\"0123456789abcdef\""), "what arrived was relayed: " + out);
        assertTrue(out.endsWith("\n\n") && out.contains("event: response.failed"), out);
        assertFalse(out.contains("response.completed"), out);
        assertEquals(40, outcome.usage().inputTokens());
        assertEquals(1, outcome.usage().outputTokens(), "message_start's provisional count, as the provider reported it");
        assertEquals(RelayedOutput.tokens("0123456789abcdef"), outcome.outputRelayed(), "the text relayed, in o200k tokens");
    }

    @Test
    void aStreamThatEndsWithoutItsLastEventIsNotComplete() {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        TranslatedStream.Outcome outcome = TranslatedStream.relay(new ByteArrayInputStream(START.getBytes(StandardCharsets.UTF_8)), client,
                AnthropicCodec.INSTANCE.streamDecoder(), ResponsesCodec.INSTANCE.streamEncoder(CLIENT));
        assertInstanceOf(RelayOutcome.UpstreamBroke.class, outcome.relay());
        assertTrue(client.toString(StandardCharsets.UTF_8).contains("event: response.failed"));
    }

    @Test
    void eachUpstreamEventIsWrittenAndFlushedBeforeTheNextIsRead() {
        // The client sees the first translated event while the upstream has sent only its first event.
        StringBuilder seenAtSecondRead = new StringBuilder();
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        byte[] first = START.substring(0, START.indexOf("event: content_block_start")).getBytes(StandardCharsets.UTF_8);
        byte[] rest = START.substring(START.indexOf("event: content_block_start")).getBytes(StandardCharsets.UTF_8);
        InputStream upstream = new InputStream() {
            private int reads;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                reads++;
                byte[] chunk = reads == 1 ? first : reads == 2 ? rest : null;
                if (reads == 2) {
                    seenAtSecondRead.append(client.toString(StandardCharsets.UTF_8));
                }
                if (chunk == null) {
                    return -1;
                }
                System.arraycopy(chunk, 0, b, off, chunk.length);
                return chunk.length;
            }
        };
        TranslatedStream.relay(upstream, client, AnthropicCodec.INSTANCE.streamDecoder(), ResponsesCodec.INSTANCE.streamEncoder(CLIENT));
        assertTrue(seenAtSecondRead.toString().contains("event: response.created"), "not buffered: " + seenAtSecondRead);
    }
}
