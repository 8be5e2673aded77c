package dev.tollgate.providers.sse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseReaderTest {

    /** Hands out at most {@code step} bytes per read, so events straddle reads. */
    private static InputStream trickle(String text, int step) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    @Test
    void splitsEventsAcrossArbitraryReadBoundaries() throws IOException {
        String stream = "event: response.created\ndata: {\"a\":1}\n\ndata: {\"b\":\ndata: 2}\r\n\r\ndata: [DONE]\n\n";
        for (int step = 1; step <= stream.length(); step++) {
            SseReader reader = new SseReader(trickle(stream, step));
            SseEvent first = reader.next();
            assertEquals("response.created", first.type());
            assertEquals("{\"a\":1}", new String(first.data(), StandardCharsets.UTF_8));
            assertEquals("event: response.created\ndata: {\"a\":1}\n\n", new String(first.raw(), StandardCharsets.UTF_8));
            SseEvent second = reader.next();
            assertNull(second.type());
            assertEquals("{\"b\":\n2}", new String(second.data(), StandardCharsets.UTF_8));
            assertArrayEquals("[DONE]".getBytes(StandardCharsets.UTF_8), reader.next().data());
            assertNull(reader.next(), "step " + step);
        }
    }

    @Test
    void handsOutAnUnterminatedTailAtTheEnd() throws IOException {
        SseReader reader = new SseReader(trickle("data: x\n\ndata: partial", 3));
        assertEquals("x", new String(reader.next().data(), StandardCharsets.UTF_8));
        assertEquals("partial", new String(reader.next().data(), StandardCharsets.UTF_8));
        assertNull(reader.next());
    }

    @Test
    void growsForEventsLargerThanItsBuffer() throws IOException {
        String big = "x".repeat(50_000);
        SseReader reader = new SseReader(trickle("data: " + big + "\n\n", 7000));
        assertEquals(big, new String(reader.next().data(), StandardCharsets.UTF_8));
    }
}
