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

    public boolean isEventStream() {
        return header("content-type").map(ct -> ct.startsWith("text/event-stream")).orElse(false);
    }

    public InputStream body() {
        return body;
    }

    /** Reads the whole body, refusing more than {@code limit} bytes. */
    public byte[] readBody(int limit) throws IOException {
        byte[] bytes = body.readNBytes(limit + 1);
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
