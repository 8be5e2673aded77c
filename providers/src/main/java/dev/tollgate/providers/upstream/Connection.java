package dev.tollgate.providers.upstream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/** One keep-alive HTTP/1.1 connection to an origin. Used by one exchange at a time. */
final class Connection implements AutoCloseable {

    final Origin origin;
    final Socket socket;
    final SocketInput in;
    final OutputStream out;
    /** True once it served an exchange: a failure before any answer may then be a stale socket. */
    boolean reused;
    /** Set by the watchdog when it closed the socket because a deadline passed. */
    volatile boolean timedOut;
    /** Nanos after which the watchdog closes the socket; 0 when idle in the pool. */
    volatile long deadline;
    /** Nanos by which the current exchange must be over (the provider's whole-request timeout). */
    volatile long endBy;

    /** The next read deadline: an idle gap from now, but never past the exchange's end. */
    long deadlineAfter(long gapNanos) {
        long next = System.nanoTime() + gapNanos;
        return next - endBy > 0 ? endBy : next;
    }

    Connection(Origin origin, Socket socket) throws IOException {
        this.origin = origin;
        this.socket = socket;
        this.in = new SocketInput(socket.getInputStream(), 16 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort; the socket is unusable either way
        }
    }
}
