package dev.tollgate.server.listener;

import dev.tollgate.server.errors.GatewayError;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * One HTTP/2 stream's request body as its handler reads it. Helidon 4.5's stream waits for the next DATA
 * frame with no deadline, and keeps waiting when its connection is gone: a stalled body would hold its
 * handler thread and its share of the body budget for good. {@link Connections#sweep()} ends such a wait
 * (by interrupting the reader, which then sees the body end) once no byte came for the body timeout, or
 * at once when the connection closed; the read then fails with {@link Expired} instead of looking whole.
 * HTTP/1.1 needs none of this: its body reads have the socket's read timeout.
 */
public final class BodyWatch {

    private final java.util.function.LongSupplier nanos;
    private Thread reader;
    private long since;
    private boolean reading;
    private GatewayError expired;

    BodyWatch(java.util.function.LongSupplier nanos) {
        this.nanos = nanos;
    }

    /** The body stream of this request, watched when it is an HTTP/2 stream the listener registered. */
    public static InputStream watch(ServerRequest req, InputStream in) {
        return req.context().get(BodyWatch.class).<InputStream>map(w -> w.new Watched(in)).orElse(in);
    }

    private synchronized void before(long now) {
        reader = Thread.currentThread();
        since = now;
        reading = true;
    }

    private synchronized void after() throws Expired {
        reading = false;
        reader = null;
        if (expired != null) {
            Thread.interrupted(); // the interrupt was for the read that just ended, not for what the handler does next
            throw new Expired(expired);
        }
    }

    /** Ends a read that has waited longer than {@code limit}; true when it did. */
    synchronized boolean stalled(long now, Duration limit) {
        if (!reading || expired != null || now - since <= limit.toNanos()) {
            return false;
        }
        expired = new GatewayError.HttpRefused(408, "The request body stopped arriving: no byte came for " + seconds(limit)
                + " s (tollgate.connections.timeout.body). Send the body without pauses.");
        reader.interrupt();
        return true;
    }

    /** The connection is gone: a read waiting for more of the body never gets it. */
    synchronized void abandon() {
        if (expired == null) {
            expired = new GatewayError.BadRequest("The connection closed before the request body was whole.", null);
            if (reading) {
                reader.interrupt();
            }
        }
    }

    /**
     * Reads and drops what the handler left of the body, under the same watch (Helidon does it after the handler
     * with no deadline: a client that sent part of a body to a request answered early would hold the stream's
     * thread for good). The drain as a whole gets the body timeout.
     */
    void drain(io.helidon.http.media.ReadableEntity content) {
        before(nanos.getAsLong());
        try {
            content.consume();
        } catch (RuntimeException brokenOrCut) {
            // the client left or the watch ended it: nothing more to drop
        } finally {
            synchronized (this) {
                reading = false;
                reader = null;
                if (expired != null) {
                    Thread.interrupted();
                }
            }
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? String.valueOf(d.toSeconds()) : String.valueOf(d.toMillis() / 1000.0);
    }

    /** A body read ended by the watch: the error says why. */
    public static final class Expired extends IOException {
        private final transient GatewayError error;

        Expired(GatewayError error) {
            super(error.message());
            this.error = error;
        }

        public GatewayError error() {
            return error;
        }
    }

    private final class Watched extends InputStream {
        private final InputStream in;

        Watched(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            before(nanos.getAsLong());
            try {
                return in.read();
            } finally {
                after();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            before(nanos.getAsLong());
            try {
                return in.read(b, off, len);
            } finally {
                after();
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
