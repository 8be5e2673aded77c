package dev.tollgate.sim;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * AWS event-stream framing ({@code application/vnd.amazon.eventstream}), as Bedrock's ConverseStream
 * writes it: total length, headers length, prelude CRC32, string headers, payload, message CRC32.
 */
final class EventStreamFrames {
    private static final byte STRING = 7;

    private EventStreamFrames() {
    }

    /** One {@code event} frame carrying a JSON payload. */
    static byte[] event(String eventType, byte[] json) {
        return frame(Map.of(":event-type", eventType, ":content-type", "application/json", ":message-type", "event"), json, false);
    }

    /** One {@code exception} frame, as Bedrock sends a failure after the stream has begun. */
    static byte[] exception(String exceptionType, byte[] json) {
        return frame(Map.of(":exception-type", exceptionType, ":content-type", "application/json", ":message-type", "exception"), json, false);
    }

    /** @param corruptCrc write a wrong message CRC (the malformed fault) */
    static byte[] frame(Map<String, String> headers, byte[] payload, boolean corruptCrc) {
        ByteArrayOutputStream h = new ByteArrayOutputStream(128);
        for (Map.Entry<String, String> e : headers.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = e.getValue().getBytes(StandardCharsets.UTF_8);
            h.write(name.length);
            h.writeBytes(name);
            h.write(STRING);
            h.write(value.length >> 8);
            h.write(value.length);
            h.writeBytes(value);
        }
        byte[] hb = h.toByteArray();
        int total = 12 + hb.length + payload.length + 4;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.putInt(total).putInt(hb.length);
        b.putInt((int) crc(b.array(), 0, 8));
        b.put(hb).put(payload);
        b.putInt((int) crc(b.array(), 0, total - 4) ^ (corruptCrc ? 1 : 0));
        return b.array();
    }

    private static long crc(byte[] bytes, int from, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, from, length);
        return crc.getValue();
    }
}
