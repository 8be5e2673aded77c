package dev.tollgate.providers.eventstream;

import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.sse.EventSource;
import dev.tollgate.providers.sse.SseEvent;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Reads AWS event-stream frames ({@code application/vnd.amazon.eventstream}) one at a time as they
 * arrive: a prelude (total length, headers length, CRC32 of those 8 bytes), headers, the payload and
 * a CRC32 of the whole frame. Each frame is presented as an event: an {@code event} frame under its
 * {@code :event-type}, an {@code exception} frame under its {@code :exception-type}, an
 * {@code error} frame as {@code error} with {@code {"message": ...}}.
 */
public final class EventStreamReader implements EventSource {

    /** Frames larger than this are refused: a corrupt length must not make us allocate gigabytes. */
    static final int MAX_FRAME = 16 * 1024 * 1024;
    private static final int PRELUDE = 12;
    private static final int MIN_FRAME = PRELUDE + 4;

    private final InputStream in;

    public EventStreamReader(InputStream in) {
        this.in = in;
    }

    /** One decoded frame. */
    public record Frame(Map<String, String> headers, byte[] payload) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    @Override
    public SseEvent next() throws IOException {
        Frame f = frame();
        if (f == null) {
            return null;
        }
        String kind = f.header(":message-type");
        if ("exception".equals(kind)) {
            return SseEvent.of(f.header(":exception-type"), compact(f.payload()));
        }
        if ("error".equals(kind)) {
            String message = f.header(":error-code") + ": " + f.header(":error-message");
            return SseEvent.of("error", Json.object().put("message", message).toString());
        }
        return SseEvent.of(f.header(":event-type"), compact(f.payload()));
    }

    /** The next frame, checked against both its CRCs; {@code null} when the stream ends between frames. */
    public Frame frame() throws IOException {
        byte[] prelude = new byte[PRELUDE];
        int first = in.readNBytes(prelude, 0, PRELUDE);
        if (first == 0) {
            return null;
        }
        if (first < PRELUDE) {
            throw new EOFException("the event stream ended inside a frame's prelude");
        }
        ByteBuffer p = ByteBuffer.wrap(prelude);
        int total = p.getInt();
        int headersLength = p.getInt();
        long preludeCrc = Integer.toUnsignedLong(p.getInt());
        if (crc(prelude, 0, 8) != preludeCrc) {
            throw new IOException("event stream prelude CRC mismatch");
        }
        if (total < MIN_FRAME || total > MAX_FRAME || headersLength < 0 || headersLength > total - MIN_FRAME) {
            throw new IOException("event stream frame with impossible lengths (total " + total + ", headers " + headersLength + ")");
        }
        byte[] frame = new byte[total];
        System.arraycopy(prelude, 0, frame, 0, PRELUDE);
        if (in.readNBytes(frame, PRELUDE, total - PRELUDE) < total - PRELUDE) {
            throw new EOFException("the event stream ended inside a frame");
        }
        long messageCrc = Integer.toUnsignedLong(ByteBuffer.wrap(frame, total - 4, 4).getInt());
        if (crc(frame, 0, total - 4) != messageCrc) {
            throw new IOException("event stream message CRC mismatch");
        }
        Map<String, String> headers = headers(ByteBuffer.wrap(frame, PRELUDE, headersLength));
        byte[] payload = new byte[total - PRELUDE - headersLength - 4];
        System.arraycopy(frame, PRELUDE + headersLength, payload, 0, payload.length);
        return new Frame(headers, payload);
    }

    /** String headers (type 7) are what Bedrock sends; others are skipped by their declared sizes. */
    private static Map<String, String> headers(ByteBuffer b) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        try {
            while (b.hasRemaining()) {
                byte[] name = new byte[b.get() & 0xff];
                b.get(name);
                int type = b.get();
                switch (type) {
                    case 0, 1 -> { } // true, false
                    case 2 -> b.get();
                    case 3 -> b.getShort();
                    case 4 -> b.getInt();
                    case 5, 8 -> b.getLong(); // long, timestamp
                    case 6, 7 -> {
                        byte[] value = new byte[b.getShort() & 0xffff];
                        b.get(value);
                        if (type == 7) {
                            headers.put(new String(name, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8));
                        }
                    }
                    case 9 -> b.position(b.position() + 16); // uuid
                    default -> throw new IOException("event stream header of unknown type " + type);
                }
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("event stream headers overrun their declared length");
        }
        return headers;
    }

    static long crc(byte[] bytes, int from, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, from, length);
        return crc.getValue();
    }

    /** An SSE data line must not break: payload JSON with line breaks is re-serialized on one line. */
    private static String compact(byte[] payload) {
        for (byte b : payload) {
            if (b == '\n' || b == '\r') {
                return Json.parse(payload).toString();
            }
        }
        return new String(payload, StandardCharsets.UTF_8);
    }
}
