package dev.tollgate.providers.sse;

import java.io.IOException;

/**
 * An upstream's events, one at a time as they arrive. Server-sent events come as they are; other
 * framings (AWS event-stream) are presented as events with a type and a JSON data line.
 */
public interface EventSource {

    /** The next whole event, blocking until it has arrived; {@code null} at the end of the stream. */
    SseEvent next() throws IOException;
}
