package dev.tollgate.server.errors;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.RequestException;
import java.util.Optional;

/**
 * Tells a failure the client caused while its request was read (bad chunk framing, a body shorter than
 * its Content-Length, a connection that broke mid-body) from a bug. Helidon reports these as its own
 * exception types, or as whatever its parsers threw while reading the entity (a NumberFormatException
 * for a chunk size that is not hex, with the body in its message: that message is never used).
 */
public final class ClientFault {

    public static final String CHUNKED = "The request body's chunked framing is malformed: with Transfer-Encoding: chunked each chunk is "
            + "its size in hex, CRLF, the bytes and CRLF, ending with 0, CRLF, CRLF. Send a Content-Length instead, or fix the framing.";
    static final String SHORT = "The request body ended before its declared length (Content-Length, or its last chunk): "
            + "send the whole body, or a Content-Length that matches it.";
    static final String UNREADABLE = "The request body could not be read (the connection broke or its framing is invalid): send it again whole.";

    private ClientFault() {
    }

    /** The answer to a failure the client caused, or empty for anything else (a bug). */
    public static Optional<GatewayError> of(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            switch (t) {
                case DataReader.InsufficientDataAvailableException e -> {
                    return Optional.of(new GatewayError.BadRequest(SHORT, null));
                }
                case DataReader.IncorrectNewLineException e -> {
                    return Optional.of(new GatewayError.BadRequest(CHUNKED, null));
                }
                case RequestException e -> {
                    return Optional.of(e.status().code() == 413
                            ? new GatewayError.HttpRefused(413, "The request body is larger than this gateway accepts: send less context.")
                            : new GatewayError.BadRequest(e.getMessage() != null && e.getMessage().toLowerCase().contains("chunk") ? CHUNKED : UNREADABLE, null));
                }
                default -> {
                    if (readingEntity(t)) {
                        return Optional.of(new GatewayError.BadRequest(chunked(t) ? CHUNKED : UNREADABLE, null));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Thrown while Helidon read the request's entity off the connection. */
    private static boolean readingEntity(Throwable t) {
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().startsWith("io.helidon.webserver.http1.Http1Connection") && f.getMethodName().startsWith("read")
                    || f.getClassName().startsWith("io.helidon.http.media.ReadableEntityBase")) {
                return true;
            }
        }
        return false;
    }

    private static boolean chunked(Throwable t) {
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getMethodName().equals("readNextChunk")) {
                return true;
            }
        }
        return false;
    }
}
