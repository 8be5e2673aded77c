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

    /** Sees each event the client will get, just before it is written (metering, spend commits). */
    @FunctionalInterface
    public interface BeforeWrite {
        BeforeWrite NONE = event -> { };

        void accept(SseEvent event);
    }

    private StreamRelay() {
    }

    public static RelayOutcome relay(InputStream upstream, OutputStream client, UsageTap tap) {
        return relay(upstream, client, tap, BeforeWrite.NONE);
    }

    public static RelayOutcome relay(InputStream upstream, OutputStream client, UsageTap tap, BeforeWrite beforeWrite) {
        return relay(upstream, client, tap, beforeWrite, StreamEnd.of(dev.tollgate.providers.Api.EMBEDDINGS));
    }

    /**
     * @param end which event finishes the answer: a stream that ends before it, or carries an event
     *            that is not one (not JSON), broke off, and the malformed event is not relayed
     */
    public static RelayOutcome relay(InputStream upstream, OutputStream client, UsageTap tap, BeforeWrite beforeWrite, StreamEnd end) {
        return relay(upstream, client, tap, beforeWrite, end, e -> e);
    }

    /** @param rewrite what the client gets of each event, after the tap and the end have read it as the upstream sent it */
    public static RelayOutcome relay(InputStream upstream, OutputStream client, UsageTap tap, BeforeWrite beforeWrite, StreamEnd end,
                                     java.util.function.UnaryOperator<SseEvent> rewrite) {
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
                return end.reached() ? new RelayOutcome.Completed()
                        : new RelayOutcome.UpstreamBroke(new IOException("the stream ended before its final event"), relayed);
            }
            if (!StreamEnd.wellFormed(event)) {
                return new RelayOutcome.UpstreamBroke(new IOException("a malformed event"), relayed);
            }
            if (!tap.accept(event)) {
                continue;
            }
            end.accept(event);
            beforeWrite.accept(event);
            try {
                client.write(rewrite.apply(event).raw());
                client.flush();
                relayed++;
                tap.written(event); // only what reached the client counts as relayed
            } catch (IOException | RuntimeException e) {
                // Servers report a closed client socket with their own unchecked exceptions.
                return new RelayOutcome.ClientGone(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
            }
        }
    }

    /**
     * The event that ends an answer: chat's {@code [DONE]}, the Responses API's terminal event,
     * Anthropic's {@code message_stop}. The spend is committed before it is written.
     */
    public static boolean isFinal(SseEvent event) {
        return event.contains(DONE) || event.contains(COMPLETED) || event.contains(INCOMPLETE) || event.contains(FAILED)
                || event.contains(MESSAGE_STOP);
    }

    private static final byte[] DONE = "data: [DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] COMPLETED = "\"response.completed\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] INCOMPLETE = "\"response.incomplete\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] FAILED = "\"response.failed\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_STOP = "\"message_stop\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static IOException asIo(Exception e) {
        return switch (e) {
            case IOException io -> io;
            case UncheckedIOException u -> u.getCause();
            default -> new IOException(e.getMessage(), e);
        };
    }
}
