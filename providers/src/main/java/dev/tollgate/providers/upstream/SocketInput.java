package dev.tollgate.providers.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A connection's buffered input. Unlike {@link java.io.BufferedInputStream} it takes no lock per
 * call (one exchange at a time owns a connection), and it reads a head line straight out of its
 * buffer instead of a byte at a time.
 */
final class SocketInput extends InputStream {

    private final InputStream in;
    private final byte[] buf;
    private int pos;
    private int end;

    SocketInput(InputStream in, int size) {
        this.in = in;
        this.buf = new byte[size];
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        end = n;
        return true;
    }

    @Override
    public int read() throws IOException {
        if (pos == end && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == end) {
            // A large read skips the buffer rather than copying through it.
            if (len >= buf.length) {
                return in.read(b, off, len);
            }
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, end - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public int available() throws IOException {
        return end - pos;
    }

    /**
     * The next CRLF- (or LF-) terminated ISO-8859-1 line without its terminator; null at the end of
     * input before any byte.
     *
     * @param max the most bytes the line (with its terminator) may take
     */
    String readLine(int max) throws IOException {
        byte[] spill = null;
        int spilled = 0;
        while (true) {
            if (pos == end && !fill()) {
                if (spilled == 0) {
                    return null;
                }
                return new String(spill, 0, spilled, StandardCharsets.ISO_8859_1);
            }
            int start = pos;
            int nl = start;
            while (nl < end && buf[nl] != '\n') {
                nl++;
            }
            int taken = nl - start;
            if (spilled + taken + (nl < end ? 1 : 0) > max) {
                throw new IOException("upstream response head (or chunk line) larger than allowed");
            }
            if (nl < end) {
                pos = nl + 1;
                if (spill == null) {
                    int len = taken > 0 && buf[nl - 1] == '\r' ? taken - 1 : taken;
                    return new String(buf, start, len, StandardCharsets.ISO_8859_1);
                }
                spill = grow(spill, spilled + taken);
                System.arraycopy(buf, start, spill, spilled, taken);
                spilled += taken;
                int len = spilled > 0 && spill[spilled - 1] == '\r' ? spilled - 1 : spilled;
                return new String(spill, 0, len, StandardCharsets.ISO_8859_1);
            }
            // The line goes on past what is buffered: keep this part and read more.
            spill = grow(spill, spilled + taken);
            System.arraycopy(buf, start, spill, spilled, taken);
            spilled += taken;
            pos = end;
        }
    }

    private static byte[] grow(byte[] spill, int needed) {
        if (spill == null) {
            return new byte[Math.max(needed, 128)];
        }
        return spill.length >= needed ? spill : java.util.Arrays.copyOf(spill, Math.max(needed, spill.length * 2));
    }
}
