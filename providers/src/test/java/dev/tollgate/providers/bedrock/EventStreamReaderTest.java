package dev.tollgate.providers.bedrock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.eventstream.EventStreamReader;
import dev.tollgate.providers.sse.SseEvent;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** AWS event-stream frames read one at a time, checked by both CRCs. */
class EventStreamReaderTest {

    private static final byte[] DELTA = Frames.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}");
    private static final byte[] STOP = Frames.event("messageStop", "{\"stopReason\":\"end_turn\"}");

    @Test
    void framesSplitAcrossReadsComeOutWhole() throws IOException {
        EventStreamReader reader = new EventStreamReader(Frames.trickle(Frames.concat(DELTA, STOP), 3));
        SseEvent first = reader.next();
        assertEquals("contentBlockDelta", first.type());
        assertEquals("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}", first.text());
        SseEvent second = reader.next();
        assertEquals("messageStop", second.type());
        assertEquals("{\"stopReason\":\"end_turn\"}", second.text());
        assertNull(reader.next(), "the stream ended between frames");
    }

    @Test
    void headersArePresentedAsTheyCame() throws IOException {
        EventStreamReader.Frame f = new EventStreamReader(new ByteArrayInputStream(DELTA)).frame();
        assertEquals("contentBlockDelta", f.header(":event-type"));
        assertEquals("event", f.header(":message-type"));
        assertEquals("application/json", f.header(":content-type"));
    }

    @Test
    void anExceptionFrameIsAnEventOfItsExceptionType() throws IOException {
        SseEvent e = new EventStreamReader(new ByteArrayInputStream(Frames.exception("throttlingException", "{\"message\":\"slow down\"}"))).next();
        assertEquals("throttlingException", e.type());
        assertEquals("{\"message\":\"slow down\"}", e.text());
    }

    @Test
    void aBadMessageCrcIsRefused() {
        byte[] bad = Arrays.copyOf(DELTA, DELTA.length);
        bad[bad.length - 1] ^= 1;
        IOException e = assertThrows(IOException.class, () -> new EventStreamReader(new ByteArrayInputStream(bad)).next());
        assertTrue(e.getMessage().contains("message CRC"), e.getMessage());
    }

    @Test
    void aCorruptPayloadIsCaughtByTheMessageCrc() {
        byte[] bad = Arrays.copyOf(DELTA, DELTA.length);
        bad[bad.length - 8] ^= 0x20;
        assertThrows(IOException.class, () -> new EventStreamReader(new ByteArrayInputStream(bad)).next());
    }

    @Test
    void aBadPreludeCrcIsRefusedBeforeTheLengthIsTrusted() {
        byte[] bad = Arrays.copyOf(DELTA, DELTA.length);
        bad[0] = 0x7f; // a total length of about 2 GB
        IOException e = assertThrows(IOException.class, () -> new EventStreamReader(new ByteArrayInputStream(bad)).next());
        assertTrue(e.getMessage().contains("prelude CRC"), e.getMessage());
    }

    @Test
    void aStreamCutInsideAFrameIsAnError() {
        byte[] cut = Arrays.copyOf(DELTA, DELTA.length - 5);
        assertThrows(EOFException.class, () -> new EventStreamReader(new ByteArrayInputStream(cut)).next());
    }
}
