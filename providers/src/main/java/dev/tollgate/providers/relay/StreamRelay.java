package dev.tollgate.providers.relay;

import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import dev.tollgate.providers.usage.UsageTap;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Copies a server-sent event stream from the upstream to the client as it arrives: one write and
 * one flush per event, never the whole answer in memory. The usage tap sees every event first.
 */
public final class StreamRelay {

    private StreamRelay() {
    }

    public static RelayOutcome relay(InputStream upstream, OutputStream client, UsageTap tap) {
        SseReader reader = new SseReader(upstream);
        int relayed = 0;
        while (true) {
            SseEvent event;
            try {
                event = reader.next();
            } catch (IOException | RuntimeException e) {
                return new RelayOutcome.UpstreamBroke(asIo(e), relayed);
            }
            if (event == null) {
                return new RelayOutcome.Completed();
            }
            if (!tap.accept(event)) {
                continue;
            }
            try {
                client.write(event.raw());
                client.flush();
                relayed++;
            } catch (IOException | RuntimeException e) {
                // Servers report a closed client socket with their own unchecked exceptions.
                return new RelayOutcome.ClientGone(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
            }
        }
    }

    private static IOException asIo(Exception e) {
        return switch (e) {
            case IOException io -> io;
            case UncheckedIOException u -> u.getCause();
            default -> new IOException(e.getMessage(), e);
        };
    }
}
