package dev.tollgate.providers.ir;

import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.EventSource;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import java.io.InputStream;
import java.util.List;

/**
 * One wire format's codec: its requests and answers into the IR and back. Translating between N
 * formats takes N codecs, not N² translators.
 */
public interface WireCodec {

    ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException;

    /** The upstream body; translated calls always stream upstream (a whole answer is folded here). */
    byte[] encodeRequest(ChatRequest request);

    /** A fresh decoder for one upstream stream. */
    StreamDecoder streamDecoder();

    /** A fresh encoder for one client stream; it may look at the client's request (custom tools, usage). */
    StreamEncoder streamEncoder(ChatRequest clientRequest);

    /** A whole answer for a client that did not stream. */
    byte[] encodeResponse(ChatResponse response, ChatRequest clientRequest);

    /** Reads one upstream stream's events into the IR; stateful, one per stream. */
    interface StreamDecoder {
        List<StreamEvent> decode(SseEvent event);

        /** How the upstream's body is cut into events: server-sent events unless the format frames them otherwise. */
        default EventSource reader(InputStream upstream) {
            return new SseReader(upstream);
        }

        /** The upstream's stream ended: whatever the format leaves implicit (a chat stream's last block stop). */
        default List<StreamEvent> end() {
            return List.of();
        }

        /**
         * What the upstream reported of its usage so far, before its final count (Anthropic's
         * message_start, Gemini's usageMetadata on every chunk): what a stream cut short is charged.
         */
        default dev.tollgate.providers.usage.Usage usageSoFar() {
            return dev.tollgate.providers.usage.Usage.NONE;
        }
    }

    /** Writes IR events as one client's stream; stateful, one per stream. */
    interface StreamEncoder {
        List<SseEvent> encode(StreamEvent event);

        /** The client's own error event for a stream that cannot finish. */
        List<SseEvent> fail(String message);
    }
}
