package dev.tollgate.providers.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** A provider's answer whose body has not been read yet. Close it to release (or drop) the connection. */
public final class UpstreamResponse implements AutoCloseable {

    private final ResponseHead head;
    private final Connection connection;
    private final ResponseBody body;
    private final UpstreamClient client;
    private boolean released;
    /** The first event, read ahead by {@link #primeFirstEvent}; served before the rest of the body. */
    private InputStream primed;
    /** The bytes {@link #primeFirstEvent} read ahead from a server-sent event stream. */
    private byte[] primedBytes = new byte[0];

    UpstreamResponse(ResponseHead head, Connection connection, ResponseBody.Framing framing, long idleNanos, UpstreamClient client) {
        this.head = head;
        this.connection = connection;
        this.client = client;
        boolean keepAlive = head.keepAlive();
        this.body = new ResponseBody(connection, framing, head.contentLength(), idleNanos, reusable -> release(reusable && keepAlive));
    }

    public int status() {
        return head.status();
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(head.headers().get(name));
    }

    /** Server-sent events, or AWS event-stream frames (Bedrock's ConverseStream). */
    public boolean isEventStream() {
        return header("content-type").map(ct -> ct.startsWith("text/event-stream") || ct.startsWith(AWS_EVENT_STREAM)).orElse(false);
    }

    /** Server-sent events proper (not AWS frames). */
    public boolean isServerSentEvents() {
        return header("content-type").map(ct -> ct.startsWith("text/event-stream")).orElse(false);
    }

    private static final String AWS_EVENT_STREAM = "application/vnd.amazon.eventstream";

    public InputStream body() {
        return primed != null ? primed : body;
    }

    /**
     * Reads ahead until the first server-sent event is complete (or the body ends, or {@code limit}
     * bytes). A stream that breaks or stalls here has sent the client nothing yet, so the caller may
     * still try another upstream; the bytes read are served again by {@link #body()}.
     */
    public void primeFirstEvent(int limit) throws IOException {
        if (header("content-type").orElse("").startsWith(AWS_EVENT_STREAM)) {
            // A binary frame says its own length in its first four bytes.
            java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream(512);
            byte[] length = body.readNBytes(4);
            frame.writeBytes(length);
            if (length.length == 4) {
                int total = java.nio.ByteBuffer.wrap(length).getInt();
                frame.writeBytes(body.readNBytes(Math.max(0, Math.min(total, limit) - 4)));
            }
            primed = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(frame.toByteArray()), body);
            return;
        }
        byte[] ahead = new byte[Math.min(limit, 4096)];
        int n = 0;
        while (n < limit) {
            if (n == ahead.length) {
                ahead = java.util.Arrays.copyOf(ahead, Math.min(limit, ahead.length * 2));
            }
            int read = body.read(ahead, n, ahead.length - n);
            if (read < 0) {
                break;
            }
            int from = Math.max(0, n - 2);
            n += read;
            if (endsEvent(ahead, from, n)) {
                break;
            }
        }
        primed = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(ahead, 0, n), body);
        primedBytes = java.util.Arrays.copyOf(ahead, n);
    }

    /**
     * What {@link #primeFirstEvent} read of a server-sent event stream: the first event with its blank
     * line when it fit, else as much as was read (empty for AWS frames or before priming).
     */
    public byte[] primedBytes() {
        return primedBytes.clone();
    }

    /** Whether bytes[from, to) hold an event's end: a blank line, "\n\n" or "\n\r\n". */
    private static boolean endsEvent(byte[] bytes, int from, int to) {
        for (int i = from; i < to - 1; i++) {
            if (bytes[i] == '\n' && (bytes[i + 1] == '\n' || (bytes[i + 1] == '\r' && i + 2 < to && bytes[i + 2] == '\n'))) {
                return true;
            }
        }
        return false;
    }

    /** Reads the whole body, refusing more than {@code limit} bytes. */
    public byte[] readBody(int limit) throws IOException {
        long length = head.contentLength();
        if (primed == null && length >= 0 && length <= limit && !head.chunked()) {
            // The usual case: the size is declared, so read into an array of exactly that size.
            byte[] bytes = new byte[(int) length];
            if (body.readNBytes(bytes, 0, bytes.length) < bytes.length) {
                throw new IOException("upstream closed the connection before the end of the body");
            }
            return bytes;
        }
        byte[] bytes = body().readNBytes(limit + 1);
        if (bytes.length > limit) {
            throw new IOException("upstream response larger than " + limit + " bytes");
        }
        return bytes;
    }

    private void release(boolean reusable) {
        if (!released) {
            released = true;
            client.finished(connection, reusable);
        }
    }

    /** Before the body's end this abandons the exchange: the connection is closed, cancelling the upstream call. */
    @Override
    public void close() {
        release(false);
    }
}
