package dev.tollgate.providers.translate;

import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.ir.ResponseFolder;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.relay.RelayOutcome;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.EventSource;
import dev.tollgate.providers.usage.RelayedOutput;
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

    /**
     * How the relay ended (for the settle step): the usage as the upstream reported it ({@link Usage#NONE}
     * when it never did), and the tokens of the content relayed to the client, which a stream cut before
     * the upstream's final count is charged as output.
     */
    public record Outcome(RelayOutcome relay, Usage usage, long outputRelayed) {
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
        UsageSoFar usage = new UsageSoFar(decoder);
        int relayed = 0;
        while (true) {
            List<StreamEvent> events;
            try {
                SseEvent event = reader.next();
                events = event == null ? decoder.end() : decoder.decode(event);
                if (event == null && !usage.finished) {
                    // The upstream ended without finishing its answer: the client must not take it as whole.
                    write(client, encoder.fail("The provider ended the stream before the answer was complete. Retry the request."));
                    return usage.outcome(new RelayOutcome.UpstreamBroke(new IOException("stream ended early"), relayed));
                }
            } catch (IOException | RuntimeException e) {
                IOException cause = e instanceof IOException io ? io : e instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getMessage(), e);
                try {
                    write(client, encoder.fail("The provider broke off the stream (" + cause.getMessage() + "). Retry the request."));
                } catch (IOException | RuntimeException gone) {
                    return usage.outcome(new RelayOutcome.ClientGone(new IOException(gone.getMessage(), gone)));
                }
                return usage.outcome(new RelayOutcome.UpstreamBroke(cause, relayed));
            }
            try {
                for (StreamEvent e : events) {
                    boolean wasFinished = usage.finished;
                    usage.accept(e);
                    if (usage.finished && !wasFinished && !usage.failed) {
                        beforeFinal.accept(usage.usage);
                    }
                    write(client, encoder.encode(e));
                }
                client.flush();
                relayed++;
                for (StreamEvent e : events) {
                    usage.written(e); // only what reached the client counts as relayed
                }
            } catch (IOException | RuntimeException e) {
                return usage.outcome(new RelayOutcome.ClientGone(e instanceof IOException io ? io : new IOException(e.getMessage(), e)));
            }
            if (usage.finished) {
                return usage.outcome(new RelayOutcome.Completed());
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
     * Usage as the upstream reported it (its final count, else what it said before the cut: Anthropic's
     * message_start, Gemini's per-chunk usageMetadata), and the content relayed, counted in tokens when
     * the stream ends without the final count.
     */
    static final class UsageSoFar {
        private final WireCodec.StreamDecoder decoder;
        private final RelayedOutput relayed = new RelayedOutput();
        private Usage reported = Usage.NONE;
        boolean finished;
        boolean failed;
        /** The usage the answer settles with once finished: the upstream's final count. */
        Usage usage = Usage.NONE;

        UsageSoFar(WireCodec.StreamDecoder decoder) {
            this.decoder = decoder;
        }

        void accept(StreamEvent e) {
            switch (e) {
                case StreamEvent.Started s -> reported = s.usage();
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
            usage = reported;
        }

        void written(StreamEvent e) {
            switch (e) {
                case StreamEvent.TextDelta d -> relayed.add(d.text());
                case StreamEvent.ToolArgumentsDelta d -> relayed.add(d.json());
                case StreamEvent.ThinkingDelta d -> relayed.add(d.text());
                default -> { }
            }
        }

        /**
         * A stream that finished with the upstream's count settles on it; one cut short, or failed in-band
         * (Bedrock's exception events), on what the upstream had reported and the output relayed.
         */
        Outcome outcome(RelayOutcome relay) {
            if (finished && !failed && relay instanceof RelayOutcome.Completed) {
                return new Outcome(relay, reported, 0);
            }
            Usage soFar = reported != Usage.NONE ? reported : decoder.usageSoFar();
            return new Outcome(failed ? new RelayOutcome.UpstreamBroke(new IOException("the provider failed the answer in-band"), 0) : relay,
                    soFar, relayed.tokens());
        }
    }
}
