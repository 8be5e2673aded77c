package dev.tollgate.providers.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SocketInputTest {

    /** Hands out at most {@code step} bytes per read, like a socket receiving small segments. */
    private static InputStream trickle(String text, int step) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    @Test
    void linesSplitAcrossReadsAndBuffersComeBackWhole() throws IOException {
        for (int buffer : new int[] {4, 7, 64}) {
            for (int step : new int[] {1, 3, 100}) {
                SocketInput in = new SocketInput(trickle("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx: y\n\r\nhello", step), buffer);
                assertEquals("HTTP/1.1 200 OK", in.readLine(1000), "buffer " + buffer + " step " + step);
                assertEquals("content-length: 5", in.readLine(1000));
                assertEquals("x: y", in.readLine(1000));
                assertEquals("", in.readLine(1000));
                byte[] body = new byte[5];
                assertEquals(5, in.readNBytes(body, 0, 5));
                assertArrayEquals("hello".getBytes(StandardCharsets.ISO_8859_1), body);
                assertEquals(-1, in.read());
                assertNull(in.readLine(1000));
            }
        }
    }

    @Test
    void aLineWithoutItsEndIsReturnedAtEndOfInput() throws IOException {
        SocketInput in = new SocketInput(trickle("partial", 2), 4);
        assertEquals("partial", in.readLine(100));
        assertNull(in.readLine(100));
    }

    @Test
    void aLineOverTheLimitIsRefused() {
        SocketInput in = new SocketInput(trickle("x".repeat(50) + "\r\n", 8), 16);
        assertThrows(IOException.class, () -> in.readLine(20));
    }

    @Test
    void singleBytesAndBlockReadsInterleave() throws IOException {
        SocketInput in = new SocketInput(trickle("abcdefghij", 3), 4);
        assertEquals('a', in.read());
        byte[] rest = new byte[9];
        assertEquals(9, in.readNBytes(rest, 0, 9));
        assertEquals("bcdefghij", new String(rest, StandardCharsets.ISO_8859_1));
    }
}
