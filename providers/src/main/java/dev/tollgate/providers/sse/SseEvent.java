package dev.tollgate.providers.sse;

import dev.tollgate.providers.json.Bytes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One server-sent event exactly as it arrived (its {@code raw} bytes, terminator included), so the
 * relay can forward it untouched; fields are parsed only when asked for.
 */
public record SseEvent(byte[] raw) {

    /** The {@code event:} field, or {@code null} when the event has none. */
    public String type() {
        int i = lineStartingWith(EVENT, 0);
        if (i < 0) {
            return null;
        }
        return new String(raw, valueStart(i + EVENT.length), lineEnd(i) - valueStart(i + EVENT.length), StandardCharsets.UTF_8);
    }

    /** The {@code data:} lines joined by newlines, as the spec says. */
    public byte[] data() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
        int i = lineStartingWith(DATA, 0);
        boolean first = true;
        while (i >= 0) {
            if (!first) {
                out.write('\n');
            }
            first = false;
            int from = valueStart(i + DATA.length);
            out.write(raw, from, lineEnd(i) - from);
            i = lineStartingWith(DATA, lineEnd(i));
        }
        return out.toByteArray();
    }

    /** A cheap test before parsing anything: does the raw event contain these bytes? */
    public boolean contains(byte[] needle) {
        return Bytes.indexOf(raw, needle, 0) >= 0;
    }

    private static final byte[] EVENT = "event:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

    private int lineStartingWith(byte[] prefix, int from) {
        int lineStart = from;
        while (lineStart < raw.length) {
            if (startsWith(lineStart, prefix)) {
                return lineStart;
            }
            int end = lineEnd(lineStart);
            lineStart = end < raw.length && raw[end] == '\r' && end + 1 < raw.length && raw[end + 1] == '\n' ? end + 2 : end + 1;
        }
        return -1;
    }

    private boolean startsWith(int at, byte[] prefix) {
        if (at + prefix.length > raw.length) {
            return false;
        }
        for (int j = 0; j < prefix.length; j++) {
            if (raw[at + j] != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    private int valueStart(int afterColon) {
        return afterColon < raw.length && raw[afterColon] == ' ' ? afterColon + 1 : afterColon;
    }

    private int lineEnd(int from) {
        int i = from;
        while (i < raw.length && raw[i] != '\n' && raw[i] != '\r') {
            i++;
        }
        return i;
    }

    /** An event with an {@code event:} line (null for none) and one {@code data:} line. */
    public static SseEvent of(String type, String data) {
        String text = (type == null ? "" : "event: " + type + "\n") + "data: " + data + "\n\n";
        return new SseEvent(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The data as UTF-8 text. */
    public String text() {
        return new String(data(), StandardCharsets.UTF_8);
    }
}
