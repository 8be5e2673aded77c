package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ResponseReaderIT {

    private static final String JSON_OK = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"b c\"}";
    private static final String EVENT_1 = "data: {\"x\":1}\n\n";
    private static final String EVENT_2 = "data: [DONE]\n\n";
    private static final String SSE_OK = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTRANSFER-ENCODING: chunked\r\n\r\n"
            + Integer.toHexString(EVENT_1.length()) + ";ext=1\r\n" + EVENT_1 + "\r\n"
            + Integer.toHexString(EVENT_2.length()).toUpperCase() + "\r\n" + EVENT_2 + "\r\n"
            + "0\r\nTrailer-X: y\r\n\r\n";
    private static final int SSE_BODY = EVENT_1.length() + EVENT_2.length();

    @Test
    void readsAContentLengthResponse() throws IOException {
        Response r = reader(JSON_OK).read();
        assertEquals(200, r.status());
        assertEquals(11, r.bodyBytes());
        assertTrue(r.keepAlive());
    }

    @Test
    void decodesChunksWithExtensionsAndTrailers() throws IOException {
        Response r = reader(SSE_OK).read();
        assertEquals(200, r.status());
        assertEquals(SSE_BODY, r.bodyBytes());
        assertTrue(r.keepAlive());
    }

    @Test
    void readsConsecutiveResponsesOnOneConnection() throws IOException {
        ResponseReader reader = reader(JSON_OK + SSE_OK + "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
        assertEquals(11, reader.read().bodyBytes());
        assertEquals(SSE_BODY, reader.read().bodyBytes());
        Response limited = reader.read();
        assertEquals(429, limited.status());
        assertFalse(limited.ok());
        assertEquals(-1, limited.firstBodyNanos());
        assertThrows(EOFException.class, reader::read);
    }

    @Test
    void survivesResponsesArrivingOneByteAtATime() throws IOException {
        String two = SSE_OK + JSON_OK;
        ResponseReader reader = new ResponseReader(new OneByteAtATime(two), () -> 0, 64);
        assertEquals(SSE_BODY, reader.read().bodyBytes());
        assertEquals(11, reader.read().bodyBytes());
    }

    @Test
    void handlesLinesLongerThanWhatOneReadReturns() throws IOException {
        String longHeader = "X-Long: " + "v".repeat(200) + "\r\n";
        String response = "HTTP/1.1 200 OK\r\n" + longHeader + "Content-Length: 2\r\n\r\nok";
        assertEquals(2, new ResponseReader(stream(response), () -> 0, 512).read().bodyBytes());
        assertThrows(IOException.class, () -> new ResponseReader(stream(response), () -> 0, 64).read());
    }

    @Test
    void firstBodyByteIsTimedByTheReadThatBroughtIt() throws IOException {
        // Head in the first read, the first chunk in the second, the rest in the third.
        String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        String first = "5\r\nhello\r\n";
        String rest = "0\r\n\r\n";
        AtomicLong clock = new AtomicLong();
        InputStream in = new SequenceInputStream(Collections.enumeration(List.of(stream(head), stream(first), stream(rest))));
        ResponseReader reader = new ResponseReader(in, clock::incrementAndGet, 1024);
        Response r = reader.read();
        assertEquals(2, r.firstBodyNanos()); // the second fill
        assertEquals(5, r.bodyBytes());
    }

    @Test
    void connectionCloseEndsKeepAlive() throws IOException {
        Response r = reader("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy").read();
        assertEquals(503, r.status());
        assertFalse(r.keepAlive());
    }

    @Test
    void aBodyWithoutLengthRunsToTheEndOfTheStream() throws IOException {
        Response r = reader("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end").read();
        assertEquals(13, r.bodyBytes());
        assertFalse(r.keepAlive());
    }

    @Test
    void skipsInterimResponsesAndKnowsBodilessStatuses() throws IOException {
        ResponseReader reader = reader("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n" + JSON_OK);
        Response r = reader.read();
        assertEquals(204, r.status());
        assertEquals(0, r.bodyBytes());
        assertEquals(200, reader.read().status());
    }

    @Test
    void acceptsBareLineFeeds() throws IOException {
        Response r = reader("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc").read();
        assertEquals(3, r.bodyBytes());
    }

    @Test
    void rejectsMalformedResponses() {
        assertThrows(IOException.class, () -> reader("SSH-2.0-OpenSSH_9.6\r\n\r\n").read());
        assertThrows(IOException.class, () -> reader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").read());
        assertThrows(IOException.class, () -> reader("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").read());
        assertThrows(EOFException.class, () -> reader("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").read());
        assertThrows(EOFException.class, () -> reader("").read());
    }

    private static ResponseReader reader(String bytes) {
        return new ResponseReader(stream(bytes), () -> 42, 4096);
    }

    private static InputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns at most one byte per read, the worst case for the reader's buffer handling. */
    private static final class OneByteAtATime extends InputStream {
        private final byte[] bytes;
        private int pos;

        OneByteAtATime(String s) {
            bytes = s.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public int read() {
            return pos < bytes.length ? bytes[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= bytes.length) {
                return -1;
            }
            b[off] = bytes[pos++];
            return 1;
        }
    }
}
