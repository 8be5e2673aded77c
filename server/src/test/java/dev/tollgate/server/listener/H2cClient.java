package dev.tollgate.server.listener;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * HTTP/2 by prior knowledge over a raw socket, frame by frame, for tests that need what real clients hide:
 * a stream whose body stops halfway, a preface and nothing else, a connection left mid-body. Requests are
 * HPACK-encoded with indexed pseudo-header fields and literal fields without indexing (no Huffman); answers
 * are read as frames, their status taken from the few encodings Helidon uses for it.
 */
final class H2cClient implements AutoCloseable {

    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int GOAWAY = 7;
    static final int CONTINUATION = 9;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    record Frame(int type, int flags, int stream, byte[] payload) {
        boolean endStream() {
            return (flags & 1) != 0;
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    /** Connects and sends the preface; {@code withSettings} false leaves the preface alone on the wire. */
    H2cClient(int port, boolean withSettings, int readTimeoutMs) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(readTimeoutMs);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        out.write(PREFACE);
        out.flush();
        if (withSettings) {
            frame(SETTINGS, 0, 0, new byte[0]);
        }
    }

    /** A request's HEADERS frame; {@code end} ends the stream (no body follows). */
    void headers(int stream, String method, String path, Map<String, String> fields, boolean end) throws IOException {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(method.equals("GET") ? 0x82 : 0x83); // :method GET / POST
        block.write(0x86); // :scheme http
        literalIndexedName(block, 4, path); // :path
        literalIndexedName(block, 1, "127.0.0.1"); // :authority
        for (var f : fields.entrySet()) {
            block.write(0x00);
            string(block, f.getKey());
            string(block, f.getValue());
        }
        // Split at the protocol's smallest frame size: HEADERS, then CONTINUATION frames; the last ends the block.
        byte[] all = block.toByteArray();
        int max = 16_384;
        for (int at = 0; at == 0 || at < all.length; at += max) {
            byte[] part = java.util.Arrays.copyOfRange(all, at, Math.min(all.length, at + max));
            boolean last = at + max >= all.length;
            frame(at == 0 ? HEADERS : CONTINUATION, (last ? 0x4 : 0) | (at == 0 && end ? 0x1 : 0), stream, part);
        }
    }

    void data(int stream, String text, boolean end) throws IOException {
        frame(DATA, end ? 1 : 0, stream, text.getBytes(StandardCharsets.UTF_8));
    }

    void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] head = {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length, (byte) type, (byte) flags,
                (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
        out.write(head);
        out.write(payload);
        out.flush();
    }

    /** The next frame, or null when the server closed the connection. */
    Frame next() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
        } catch (EOFException closed) {
            return null;
        } catch (java.net.SocketException reset) {
            return null;
        }
        int length = (head[0] & 0xff) << 16 | (head[1] & 0xff) << 8 | head[2] & 0xff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        int stream = ((head[5] & 0x7f) << 24 | (head[6] & 0xff) << 16 | (head[7] & 0xff) << 8 | head[8] & 0xff);
        return new Frame(head[3] & 0xff, head[4] & 0xff, stream, payload);
    }

    /** The answer on one stream: its status and its body, read until the stream ends (other streams' frames skipped). */
    record Answer(int status, String body) {
    }

    Answer answer(int stream) throws IOException {
        int status = -1;
        StringBuilder body = new StringBuilder();
        while (true) {
            Frame f = next();
            if (f == null) {
                throw new EOFException("the connection closed before stream " + stream + " ended; so far " + status + " " + body);
            }
            if (f.type() == GOAWAY) {
                throw new IOException("GOAWAY before stream " + stream + " ended: " + f.text());
            }
            if (f.stream() != stream) {
                continue;
            }
            if (f.type() == RST_STREAM) {
                throw new IOException("stream " + stream + " reset");
            }
            if (f.type() == HEADERS) {
                status = status(f.payload());
            } else if (f.type() == DATA) {
                body.append(f.text());
            }
            if ((f.type() == HEADERS || f.type() == DATA) && f.endStream()) {
                return new Answer(status, body.toString());
            }
        }
    }

    /** True when the server closed the connection (after any frames it still had to send). */
    boolean closedByServer() throws IOException {
        try {
            while (true) {
                Frame f = next();
                if (f == null) {
                    return true;
                }
            }
        } catch (SocketTimeoutException stillOpen) {
            return false;
        }
    }

    /** :status as Helidon encodes it: an indexed static entry, or a literal with the indexed name and a plain value. */
    private static int status(byte[] block) {
        int first = block[0] & 0xff;
        return switch (first) {
            case 0x88 -> 200;
            case 0x89 -> 204;
            case 0x8a -> 206;
            case 0x8b -> 304;
            case 0x8c -> 400;
            case 0x8d -> 404;
            case 0x8e -> 500;
            default -> (block[1] & 0x80) == 0 ? Integer.parseInt(new String(block, 2, block[1], StandardCharsets.US_ASCII)) : -1;
        };
    }

    private static void literalIndexedName(ByteArrayOutputStream block, int index, String value) {
        block.write(index); // literal without indexing, name from the static table (index < 15)
        string(block, value);
    }

    private static void string(ByteArrayOutputStream block, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        integer(block, bytes.length, 7, 0);
        block.writeBytes(bytes);
    }

    /** RFC 7541 section 5.1. */
    private static void integer(ByteArrayOutputStream block, int value, int prefixBits, int flags) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            block.write(flags | value);
            return;
        }
        block.write(flags | max);
        value -= max;
        while (value >= 128) {
            block.write(value % 128 + 128);
            value /= 128;
        }
        block.write(value);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
