package dev.tollgate.providers.relay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Whether a relayed stream reached the event that ends its dialect's answer: chat's {@code [DONE]} or
 * a {@code finish_reason}, the Responses API's terminal event, Anthropic's {@code message_stop}, a
 * Gemini candidate's {@code finishReason} (an in-stream error event also ends it). A stream that stops
 * before it was cut short, however cleanly its connection closed: the client must not take it as whole.
 * Not thread-safe; one per response.
 */
public final class StreamEnd {

    private static final JsonFactory JSON = JsonBody.MAPPER.getFactory();

    private final byte[][] marks;
    private boolean reached;

    private StreamEnd(byte[][] marks) {
        this.marks = marks;
        this.reached = marks.length == 0;
    }

    /** For a stream in {@code api}'s format; formats without a known terminal event are always complete. */
    public static StreamEnd of(Api api) {
        return new StreamEnd(switch (api) {
            case CHAT_COMPLETIONS -> ascii("data: [DONE]", "\"finish_reason\":\"", "\"finish_reason\": \"", "data: {\"error\"");
            case RESPONSES -> ascii("\"response.completed\"", "\"response.incomplete\"", "\"response.failed\"", "event: error");
            case MESSAGES -> ascii("\"message_stop\"", "event: error");
            case GEMINI -> ascii("\"finishReason\"", "data: {\"error\"");
            case CONVERSE, EMBEDDINGS, RESPONSES_COMPACT -> new byte[0][];
        });
    }

    /** Looks at one event the client gets. */
    public void accept(SseEvent event) {
        if (reached) {
            return;
        }
        for (byte[] mark : marks) {
            if (event.contains(mark)) {
                reached = true;
                return;
            }
        }
    }

    public boolean reached() {
        return reached;
    }

    /**
     * Whether an event is one: only field lines ({@code data:}, {@code event:}, {@code id:}, {@code retry:})
     * and comments, and its data, when it has any, one JSON value or chat's {@code [DONE]}.
     */
    public static boolean wellFormed(SseEvent event) {
        byte[] raw = event.raw();
        int dataFrom = -1;
        int dataTo = -1;
        int dataLines = 0;
        int i = 0;
        while (i < raw.length) {
            int end = i;
            while (end < raw.length && raw[end] != '\n' && raw[end] != '\r') {
                end++;
            }
            if (end > i && raw[i] != ':') {
                if (startsWith(raw, i, DATA)) {
                    dataLines++;
                    dataFrom = i + DATA.length < end && raw[i + DATA.length] == ' ' ? i + DATA.length + 1 : i + DATA.length;
                    dataTo = end;
                } else if (!startsWith(raw, i, EVENT) && !startsWith(raw, i, ID) && !startsWith(raw, i, RETRY)) {
                    return false;
                }
            }
            i = end + 1;
        }
        if (dataLines == 0) {
            return true;
        }
        // One data line (the usual case) is checked where it lies; several are joined as the spec says.
        byte[] data = dataLines == 1 ? raw : event.data();
        int from = dataLines == 1 ? dataFrom : 0;
        int to = dataLines == 1 ? dataTo : data.length;
        if (to - from == DONE.length && startsWith(data, from, DONE)) {
            return true;
        }
        return oneJsonValue(data, from, to - from);
    }

    /** Whether a whole body is one JSON value (and nothing after it). */
    public static boolean oneJsonValue(byte[] bytes) {
        return oneJsonValue(bytes, 0, bytes.length);
    }

    private static boolean oneJsonValue(byte[] bytes, int offset, int length) {
        try (JsonParser p = JSON.createParser(bytes, offset, length)) {
            if (p.nextToken() == null) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean startsWith(byte[] raw, int at, byte[] prefix) {
        return at + prefix.length <= raw.length && Arrays.equals(raw, at, at + prefix.length, prefix, 0, prefix.length);
    }

    private static byte[][] ascii(String... marks) {
        byte[][] bytes = new byte[marks.length][];
        for (int i = 0; i < marks.length; i++) {
            bytes[i] = marks[i].getBytes(StandardCharsets.US_ASCII);
        }
        return bytes;
    }

    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID = "id:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RETRY = "retry:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
}
