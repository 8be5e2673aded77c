package dev.tollgate.providers.sse;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Splits a byte stream into server-sent events at blank lines, without decoding them. */
public final class SseReader implements EventSource {

    private final InputStream in;
    private byte[] buf = new byte[8192];
    private int start;
    private int end;
    private boolean eof;

    public SseReader(InputStream in) {
        this.in = in;
    }

    @Override
    public SseEvent next() throws IOException {
        int scanned = 0; // relative to start: fill() may move the bytes
        while (true) {
            int boundary = boundary(start + scanned);
            if (boundary >= 0) {
                byte[] raw = Arrays.copyOfRange(buf, start, boundary);
                start = boundary;
                return new SseEvent(raw);
            }
            scanned = Math.max(0, end - start - 3);
            if (eof) {
                if (start == end) {
                    return null;
                }
                byte[] rest = Arrays.copyOfRange(buf, start, end);
                start = end;
                return new SseEvent(rest);
            }
            fill();
        }
    }

    /** Index just past the blank line ending the first event at or after {@code from}, or -1. */
    private int boundary(int from) {
        for (int i = from; i < end; i++) {
            if (buf[i] == '\n') {
                if (i + 1 < end && buf[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < end && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    private void fill() throws IOException {
        if (start > 0 && start == end) {
            start = end = 0;
        }
        if (end == buf.length) {
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            } else {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
        }
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) {
            eof = true;
        } else {
            end += n;
        }
    }
}
