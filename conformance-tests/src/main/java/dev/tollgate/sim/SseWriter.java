package dev.tollgate.sim;

import java.io.IOException;
import java.io.OutputStream;

import com.fasterxml.jackson.core.JsonGenerator;
import io.helidon.webserver.CloseConnectionException;

/**
 * Writes a stream of events through one JSON generator on the response stream and flushes once
 * per event (each flush is one HTTP chunk). Timing and stream faults live here, so the formats
 * only say what the events are.
 */
final class SseWriter {
    /**
     * Gemini's streamGenerateContent without {@code alt=sse} answers one JSON array instead; Bedrock's
     * ConverseStream sends each event as a binary AWS event-stream frame.
     */
    enum Framing { SSE, JSON_ARRAY, EVENT_STREAM }

    /** Ends a stream early on purpose (malformed-event fault); the response is then closed normally. */
    static final class StreamCut extends RuntimeException {
        StreamCut() {
            super("stream cut by a simulated fault", null, false, false);
        }
    }

    private final JsonGenerator gen;
    private final Framing framing;
    private final Fault fault;
    private final long firstByteDelayMs;
    private final long gapMs;
    private int events;
    private boolean tokenWritten;
    /** EVENT_STREAM only: each event's JSON is rendered here, then framed onto {@code raw}. */
    private final OutputStream raw;
    private final Json.Buffer frame = new Json.Buffer(256);
    private JsonGenerator frameGen;
    private String frameType;

    SseWriter(JsonGenerator gen, Framing framing, Fault fault, long firstByteDelayMs, long gapMs) {
        this.gen = gen;
        this.framing = framing;
        this.fault = fault;
        this.firstByteDelayMs = firstByteDelayMs;
        this.gapMs = gapMs;
        this.raw = null;
    }

    /** AWS event-stream framing straight onto the response stream. */
    SseWriter(OutputStream raw, Fault fault, long firstByteDelayMs, long gapMs) throws IOException {
        this.gen = Json.generator(raw);
        this.framing = Framing.EVENT_STREAM;
        this.fault = fault;
        this.firstByteDelayMs = firstByteDelayMs;
        this.gapMs = gapMs;
        this.raw = raw;
        this.frameGen = Json.generator(frame);
    }

    /** Starts an event with an {@code event:} line (null for none); write one JSON value, then {@link #end()}. */
    JsonGenerator event(String name) throws IOException {
        beforeEvent();
        if (framing == Framing.EVENT_STREAM) {
            frame.reset();
            frameType = name;
            return frameGen;
        }
        if (framing == Framing.SSE) {
            if (name != null) {
                gen.writeRaw("event: ");
                gen.writeRaw(name);
                gen.writeRaw('\n');
            }
            gen.writeRaw("data: ");
        } else {
            gen.writeRaw(events == 0 ? "[" : ",\r\n");
        }
        return gen;
    }

    /** Like {@link #event(String)} for an event carrying a token: the chunk gap goes before every token but the first. */
    JsonGenerator token(String name) throws IOException {
        if (tokenWritten) {
            sleep(gapMs);
        }
        tokenWritten = true;
        return event(name);
    }

    void end() throws IOException {
        if (framing == Framing.EVENT_STREAM) {
            frameGen.flush();
            raw.write(EventStreamFrames.event(frameType, frame.toByteArray()));
            raw.flush();
            events++;
            return;
        }
        if (framing == Framing.SSE) {
            gen.writeRaw("\n\n");
        }
        gen.flush();
        events++;
    }

    /** OpenAI chat's terminator. */
    void done() throws IOException {
        beforeEvent();
        gen.writeRaw("data: [DONE]\n\n");
        gen.flush();
        events++;
    }

    /**
     * Ends the stream: a reset or malformed fault counting more events than the stream had fires
     * here, so it is never silently skipped. Then closes the JSON array framing (SSE needs nothing).
     */
    void finish() throws IOException {
        streamFault(true);
        if (framing == Framing.JSON_ARRAY) {
            gen.writeRaw(events == 0 ? "[]" : "]");
        }
        gen.flush();
    }

    private void beforeEvent() throws IOException {
        if (events == 0) {
            sleep(firstByteDelayMs);
        }
        if (fault instanceof Fault.Stall s && s.afterEvents() == events && events > 0) {
            sleep(s.ms());
        }
        if (fault instanceof Fault.Hold h && h.afterEvents() == events) {
            h.await();
        }
        streamFault(false);
    }

    private void streamFault(boolean atEnd) throws IOException {
        switch (fault) {
            case Fault.Reset r when r.afterEvents() == events || atEnd && r.afterEvents() > events -> {
                gen.flush();
                // Helidon closes the socket at once, without the chunked terminator: the client sees a broken stream.
                throw new CloseConnectionException("simulated connection reset");
            }
            case Fault.Malformed m when framing == Framing.EVENT_STREAM && (m.afterEvents() == events || atEnd && m.afterEvents() > events) -> {
                raw.write(EventStreamFrames.frame(java.util.Map.of(":event-type", "contentBlockDelta", ":message-type", "event"),
                        "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"x\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8), true));
                raw.flush();
                throw new StreamCut();
            }
            case Fault.Malformed m when m.afterEvents() == events || atEnd && m.afterEvents() > events -> {
                gen.writeRaw(framing == Framing.SSE ? "data: {not json\n\n" : (events == 0 ? "[{not json" : ",{not json"));
                gen.flush();
                throw new StreamCut();
            }
            case Fault.Truncate t when t.afterEvents() == events || atEnd && t.afterEvents() > events -> {
                if (framing == Framing.JSON_ARRAY) {
                    gen.writeRaw(events == 0 ? "[]" : "]");
                }
                gen.flush();
                throw new StreamCut();
            }
            case null, default -> {
            }
        }
    }

    static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloseConnectionException("interrupted", e);
        }
    }
}
