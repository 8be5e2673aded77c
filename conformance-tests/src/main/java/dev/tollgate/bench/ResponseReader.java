package dev.tollgate.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * Reads HTTP/1.1 responses off one keep-alive connection, parsing just enough to know where each
 * ends: the status line, three headers (Content-Length, Transfer-Encoding, Connection) and the
 * chunk framing. The body is skipped, not kept. Header lines are matched as bytes so a response
 * costs almost no allocation; the generator shares two cores with what it measures.
 */
final class ResponseReader {

    private static final byte[] CONTENT_LENGTH = ascii("content-length:");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding:");
    private static final byte[] CONNECTION = ascii("connection:");

    private final InputStream in;
    private final LongSupplier clock;
    private final byte[] buf;
    private int pos;
    private int limit;
    private long lastFillNanos;

    // Per-response state.
    private long firstBodyNanos;
    private long bodyBytes;

    ResponseReader(InputStream in, LongSupplier clock, int bufferSize) {
        this.in = in;
        this.clock = clock;
        this.buf = new byte[bufferSize];
    }

    ResponseReader(InputStream in) {
        this(in, System::nanoTime, 64 * 1024);
    }

    /**
     * Reads one whole response.
     *
     * @throws EOFException when the connection is closed before the first byte of the status line
     */
    Response read() throws IOException {
        while (true) {
            firstBodyNanos = -1;
            bodyBytes = 0;
            if (pos == limit && !fill()) {
                throw new EOFException("connection closed before a response");
            }
            int status = parseStatusLine();
            long contentLength = -1;
            boolean chunked = false;
            boolean close = false;
            int lineEnd;
            while ((lineEnd = nextLine()) > pos) {
                if (startsWithIgnoreCase(CONTENT_LENGTH)) {
                    contentLength = parseLength(value(CONTENT_LENGTH.length, lineEnd));
                } else if (startsWithIgnoreCase(TRANSFER_ENCODING)) {
                    chunked = value(TRANSFER_ENCODING.length, lineEnd).toLowerCase().endsWith("chunked");
                } else if (startsWithIgnoreCase(CONNECTION)) {
                    close = value(CONNECTION.length, lineEnd).equalsIgnoreCase("close");
                }
                consumeLine(lineEnd);
            }
            consumeLine(lineEnd); // the empty line ending the headers
            if (status >= 100 && status < 200 && status != 101) {
                continue; // interim response (100 Continue, 103 Early Hints): the real one follows
            }
            boolean keepAlive = !close;
            if (status == 204 || status == 304) {
                // no body by definition
            } else if (chunked) {
                readChunkedBody();
            } else if (contentLength >= 0) {
                skipBody(contentLength);
            } else {
                skipToEof(); // body delimited by the server closing the connection
                keepAlive = false;
            }
            return new Response(status, firstBodyNanos, bodyBytes, keepAlive);
        }
    }

    private int parseStatusLine() throws IOException {
        int lineEnd = nextLine();
        // "HTTP/1.1 200 OK": the code sits at fixed offsets 9..11.
        if (lineEnd - pos < 12 || buf[pos] != 'H' || buf[pos + 8] != ' ') {
            throw new IOException("bad status line: " + text(pos, lineEnd));
        }
        int status = 0;
        for (int i = pos + 9; i < pos + 12; i++) {
            int d = buf[i] - '0';
            if (d < 0 || d > 9) {
                throw new IOException("bad status line: " + text(pos, lineEnd));
            }
            status = status * 10 + d;
        }
        consumeLine(lineEnd);
        return status;
    }

    private static long parseLength(String value) throws IOException {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length: " + value);
        }
    }

    private void readChunkedBody() throws IOException {
        while (true) {
            int lineEnd = nextLine();
            long size = parseChunkSize(lineEnd);
            consumeLine(lineEnd);
            if (size == 0) {
                // Trailers, if any, then the empty line that ends the message.
                while ((lineEnd = nextLine()) > pos) {
                    consumeLine(lineEnd);
                }
                consumeLine(lineEnd);
                return;
            }
            skipBody(size);
            lineEnd = nextLine();
            if (lineEnd != pos) {
                throw new IOException("chunk not followed by CRLF");
            }
            consumeLine(lineEnd);
        }
    }

    private long parseChunkSize(int lineEnd) throws IOException {
        long size = 0;
        int digits = 0;
        for (int i = pos; i < lineEnd; i++) {
            int c = buf[i];
            int d;
            if (c >= '0' && c <= '9') {
                d = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                d = c - 'A' + 10;
            } else if (c == ';' || c == ' ' || c == '\t') {
                break; // chunk extensions are ignored
            } else {
                throw new IOException("bad chunk size line: " + text(pos, lineEnd));
            }
            size = size * 16 + d;
            digits++;
        }
        if (digits == 0 || digits > 15) {
            throw new IOException("bad chunk size line: " + text(pos, lineEnd));
        }
        return size;
    }

    private void skipBody(long n) throws IOException {
        while (n > 0) {
            if (pos == limit && !fill()) {
                throw new EOFException("connection closed inside a response body");
            }
            int take = (int) Math.min(n, limit - pos);
            noteBody(take);
            pos += take;
            n -= take;
        }
    }

    private void skipToEof() throws IOException {
        while (pos < limit || fill()) {
            noteBody(limit - pos);
            pos = limit;
        }
    }

    private void noteBody(int n) {
        if (n > 0 && firstBodyNanos < 0) {
            firstBodyNanos = lastFillNanos;
        }
        bodyBytes += n;
    }

    /**
     * Makes sure a whole line starting at {@code pos} is buffered and returns the index of its
     * end: the CR of its CRLF (or the LF of a bare LF).
     */
    private int nextLine() throws IOException {
        int scanFrom = pos;
        while (true) {
            for (int i = scanFrom; i < limit; i++) {
                if (buf[i] == '\n') {
                    return (i > pos && buf[i - 1] == '\r') ? i - 1 : i;
                }
            }
            int scanned = limit - pos; // fill() may move the unread bytes to the front
            if (!fill()) {
                throw new EOFException("connection closed inside a response head");
            }
            scanFrom = pos + scanned;
        }
    }

    private void consumeLine(int lineEnd) {
        pos = lineEnd + (buf[lineEnd] == '\r' ? 2 : 1);
    }

    /** Reads more bytes, first moving unread ones to the front. Returns false at end of stream. */
    private boolean fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        if (limit == buf.length) {
            throw new IOException("response head line longer than " + buf.length + " bytes");
        }
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            return false;
        }
        lastFillNanos = clock.getAsLong();
        limit += n;
        return true;
    }

    private boolean startsWithIgnoreCase(byte[] lowerPrefix) {
        if (limit - pos < lowerPrefix.length) {
            return false;
        }
        for (int i = 0; i < lowerPrefix.length; i++) {
            int c = buf[pos + i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowerPrefix[i]) {
                return false;
            }
        }
        return true;
    }

    private String value(int nameLength, int lineEnd) {
        return text(pos + nameLength, lineEnd).trim();
    }

    private String text(int from, int to) {
        return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
