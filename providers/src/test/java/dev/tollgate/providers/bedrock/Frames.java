package dev.tollgate.providers.bedrock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/** Builds real AWS event-stream frames for the tests, and an input stream that hands them over a few bytes at a time. */
final class Frames {

    private Frames() {
    }

    static byte[] event(String type, String json) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(":event-type", type);
        h.put(":content-type", "application/json");
        h.put(":message-type", "event");
        return frame(h, json);
    }

    static byte[] exception(String type, String json) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(":exception-type", type);
        h.put(":content-type", "application/json");
        h.put(":message-type", "exception");
        return frame(h, json);
    }

    static byte[] frame(Map<String, String> headers, String json) {
        ByteArrayOutputStream hb = new ByteArrayOutputStream();
        headers.forEach((k, v) -> {
            byte[] name = k.getBytes(StandardCharsets.UTF_8);
            byte[] value = v.getBytes(StandardCharsets.UTF_8);
            hb.write(name.length);
            hb.writeBytes(name);
            hb.write(7);
            hb.write(value.length >> 8);
            hb.write(value.length & 0xff);
            hb.writeBytes(value);
        });
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        int total = 12 + hb.size() + payload.length + 4;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.putInt(total).putInt(hb.size()).putInt((int) crc(b.array(), 8));
        b.put(hb.toByteArray()).put(payload);
        b.putInt((int) crc(b.array(), total - 4));
        return b.array();
    }

    private static long crc(byte[] bytes, int length) {
        CRC32 c = new CRC32();
        c.update(bytes, 0, length);
        return c.getValue();
    }

    static byte[] concat(byte[]... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    /** Gives at most {@code step} bytes per read, so every frame arrives split across reads. */
    static InputStream trickle(byte[] bytes, int step) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < bytes.length ? bytes[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= bytes.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, step), bytes.length - pos);
                System.arraycopy(bytes, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    /** Sends the bytes, then fails as a reset socket does. */
    static InputStream breaking(byte[] bytes) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() throws IOException {
                if (pos >= bytes.length) {
                    throw new IOException("Connection reset");
                }
                return bytes[pos++] & 0xff;
            }
        };
    }
}
