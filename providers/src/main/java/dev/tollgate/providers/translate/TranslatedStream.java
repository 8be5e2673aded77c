package dev.tollgate.providers.translate;

import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.ir.ResponseFolder;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.EventSource;
import dev.tollgate.providers.usage.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Relays an upstream stream in another format: each upstream event is decoded into IR events and
 * encoded into the client's events, written and flushed before the next upstream event is read.
 * Nothing waits for the whole answer.
 */
public final class TranslatedStream {

    /** How the relay ended and the usage generated so far (for the settle step). */
    public record Outcome(RelayOutcome relay, Usage usage) {
    }

    /** A whole answer, or why there is none. */
    public record Folded(ChatResponse response, String failure) {
    }

    private TranslatedStream() {
    }

    public static Outcome relay(InputStream upstream, OutputStream client, WireCodec.StreamDecoder decoder,
                                WireCodec.StreamEncoder encoder) {
        return relay(upstream, client, decoder, encoder, usage -> { });
    }

    /**
     * @param beforeFinal told the usage once the answer is complete, before its last events are
     *                    written, so the caller can commit the spend ahead of the final bytes
     */
    public static Outcome relay(InputStream upstream, OutputStream client, WireCodec.StreamDecoder decoder,
                                WireCodec.StreamEncoder encoder, java.util.function.Consumer<Usage> beforeFinal) {
        EventSource reader = decoder.reader(upstream);
        UsageSoFar usage = new UsageSoFar();
        int relayed = 0;
        while (true) {
            List<StreamEvent> events;
            try {
                SseEvent event = reader.next();
                events = event == null ? decoder.end() : decoder.decode(event);
                if (event == null && !usage.finished) {
                    // The upstream ended without finishing its answer: the client must not take it as whole.
                    write(client, encoder.fail("The provider ended the stream before the answer was complete. Retry the request."));
                    return new Outcome(new RelayOutcome.UpstreamBroke(new IOException("stream ended early"), relayed), usage.usage);
                }
            } catch (IOException | RuntimeException e) {
                IOException cause = e instanceof IOException io ? io : e instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getMessage(), e);
                try {
                    write(client, encoder.fail("The provider broke off the stream (" + cause.getMessage() + "). Retry the request."));
                } catch (IOException | RuntimeException gone) {
                    return new Outcome(new RelayOutcome.ClientGone(new IOException(gone.getMessage(), gone)), usage.usage);
                }
                return new Outcome(new RelayOutcome.UpstreamBroke(cause, relayed), usage.usage);
            }
            try {
                for (StreamEvent e : events) {
                    boolean wasFinished = usage.finished;
                    usage.accept(e);
                    if (usage.finished && !wasFinished) {
                        beforeFinal.accept(usage.usage);
                    }
                    write(client, encoder.encode(e));
                }
                client.flush();
                relayed++;
            } catch (IOException | RuntimeException e) {
                return new Outcome(new RelayOutcome.ClientGone(e instanceof IOException io ? io : new IOException(e.getMessage(), e)), usage.usage);
            }
            if (usage.finished) {
                return new Outcome(new RelayOutcome.Completed(), usage.usage);
            }
        }
    }

    /** Reads the whole upstream stream into one answer, for a client that did not ask to stream. */
    public static Folded fold(InputStream upstream, WireCodec.StreamDecoder decoder) throws IOException {
        EventSource reader = decoder.reader(upstream);
        ResponseFolder folder = new ResponseFolder();
        while (!folder.finished() && folder.failure() == null) {
            SseEvent event = reader.next();
            for (StreamEvent e : event == null ? decoder.end() : decoder.decode(event)) {
                folder.accept(e);
            }
            if (event == null) {
                break;
            }
        }
        if (folder.failure() != null || !folder.finished()) {
            return new Folded(null, folder.failure() != null ? folder.failure() : "The provider ended the stream before the answer was complete.");
        }
        return new Folded(folder.response(), null);
    }

    private static void write(OutputStream out, List<SseEvent> events) throws IOException {
        if (events.size() == 1) {
            out.write(events.getFirst().raw());
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(512);
        for (SseEvent e : events) {
            buf.writeBytes(e.raw());
        }
        out.write(buf.toByteArray());
    }

    /**
     * Usage as the upstream reported it; when a stream breaks before its final count, the output
     * generated so far is estimated from the streamed text (about four characters per token), so
     * the settle step charges what the client received.
     */
    static final class UsageSoFar {
        private Usage reported = Usage.NONE;
        private long chars;
        boolean finished;
        private boolean failed;
        Usage usage = Usage.NONE;

        void accept(StreamEvent e) {
            switch (e) {
                case StreamEvent.Started s -> reported = s.usage();
                case StreamEvent.TextDelta d -> chars += d.text().length();
                case StreamEvent.ToolArgumentsDelta d -> chars += d.json().length();
                case StreamEvent.ThinkingDelta d -> chars += d.text().length();
                case StreamEvent.Finished f -> {
                    reported = f.usage();
                    finished = true;
                }
                case StreamEvent.Failed f -> {
                    finished = true;
                    failed = true;
                }
                default -> { }
            }
            long estimated = (chars + 3) / 4;
            // A stream that failed in-band (Bedrock's exception events) is charged like one cut short.
            usage = (finished && !failed) || reported.outputTokens() >= estimated ? reported
                    : new Usage(reported.inputTokens(), estimated, reported.cachedInputTokens(), reported.cacheWriteTokens(), reported.reasoningTokens());
        }
    }
}
