package dev.tollgate.providers.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;

/**
 * The body of one response, framed by Content-Length, chunked encoding, or the connection's end.
 * Reaching its end hands the connection back for reuse; every read pushes the idle deadline on.
 */
final class ResponseBody extends InputStream {

    enum Framing { LENGTH, CHUNKED, UNTIL_CLOSE }

    interface Completion {
        /** The body was read to its end; {@code reusable} says whether the connection may serve again. */
        void done(boolean reusable);
    }

    private final Connection connection;
    private final SocketInput in;
    private final Framing framing;
    private final long idleNanos;
    private final Completion completion;
    private long remaining; // in the whole body (LENGTH) or the current chunk (CHUNKED)
    private boolean finished;
    private final byte[] one = new byte[1];

    ResponseBody(Connection connection, Framing framing, long length, long idleNanos, Completion completion) {
        this.connection = connection;
        this.in = connection.in;
        this.framing = framing;
        this.remaining = framing == Framing.LENGTH ? length : 0;
        this.idleNanos = idleNanos;
        this.completion = completion;
        if (framing == Framing.LENGTH && length == 0) {
            finish(true);
        }
    }

    boolean finished() {
        return finished;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (finished) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        try {
            return switch (framing) {
                case LENGTH -> readFixed(b, off, len);
                case CHUNKED -> readChunked(b, off, len);
                case UNTIL_CLOSE -> readUntilClose(b, off, len);
            };
        } catch (IOException e) {
            if (connection.timedOut) {
                throw new SocketTimeoutException(System.nanoTime() - connection.endBy >= 0 ? "the upstream call outlasted its whole-request timeout"
                        : "no data from the upstream for " + idleNanos / 1_000_000 + " ms");
            }
            throw e;
        }
    }

    private int readFixed(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new IOException("upstream closed the connection " + remaining + " bytes before the end of the body");
        }
        touch();
        remaining -= n;
        if (remaining == 0) {
            finish(true);
        }
        return n;
    }

    private int readChunked(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
            remaining = nextChunkSize();
            if (remaining == 0) {
                skipTrailers();
                finish(true);
                return -1;
            }
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new IOException("upstream closed the connection inside a chunk");
        }
        touch();
        remaining -= n;
        if (remaining == 0) {
            expectCrlf();
        }
        return n;
    }

    private int readUntilClose(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            finish(false);
            return -1;
        }
        touch();
        return n;
    }

    private long nextChunkSize() throws IOException {
        String line = new ResponseHead.LineReader(in).next();
        if (line == null) {
            throw new IOException("upstream closed the connection before the end of the chunked body");
        }
        touch();
        int semi = line.indexOf(';');
        try {
            return Long.parseLong((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("malformed chunk size from the upstream");
        }
    }

    private void expectCrlf() throws IOException {
        String rest = new ResponseHead.LineReader(in).next();
        if (rest == null || !rest.isEmpty()) {
            throw new IOException("malformed chunk end from the upstream");
        }
    }

    private void skipTrailers() throws IOException {
        ResponseHead.LineReader lines = new ResponseHead.LineReader(in);
        for (String line = lines.next(); line != null && !line.isEmpty(); line = lines.next()) {
            // trailers carry nothing the gateway uses
        }
    }

    private void touch() {
        connection.deadline = connection.deadlineAfter(idleNanos);
    }

    private void finish(boolean reusable) {
        finished = true;
        completion.done(reusable);
    }

    /** Closing early abandons the body: the connection cannot be reused and is closed by the caller. */
    @Override
    public void close() {
        // the owning UpstreamResponse decides the connection's fate
    }
}
