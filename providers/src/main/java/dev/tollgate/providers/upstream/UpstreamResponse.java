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
        java.io.ByteArrayOutputStream ahead = new java.io.ByteArrayOutputStream(512);
        if (header("content-type").orElse("").startsWith(AWS_EVENT_STREAM)) {
            // A binary frame says its own length in its first four bytes.
            byte[] length = body.readNBytes(4);
            ahead.writeBytes(length);
            if (length.length == 4) {
                int total = java.nio.ByteBuffer.wrap(length).getInt();
                ahead.writeBytes(body.readNBytes(Math.max(0, Math.min(total, limit) - 4)));
            }
            primed = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(ahead.toByteArray()), body);
            return;
        }
        int last = -1;
        int beforeLast = -1;
        while (ahead.size() < limit) {
            int b = body.read();
            if (b < 0) {
                break;
            }
            ahead.write(b);
            // An event ends with a blank line: "\n\n" (or "\r\n\r\n", whose last two bytes are "\r\n" after "\n").
            if (b == '\n' && (last == '\n' || (last == '\r' && beforeLast == '\n'))) {
                break;
            }
            beforeLast = last;
            last = b;
        }
        primed = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(ahead.toByteArray()), body);
    }

    /** Reads the whole body, refusing more than {@code limit} bytes. */
    public byte[] readBody(int limit) throws IOException {
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
