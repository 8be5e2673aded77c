package dev.tollgate.providers.relay;

import com.fasterxml.jackson.core.JsonToken;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.Bytes;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One rule for the model an answer names: the public name the client asked for (what clients match on), whether the
 * answer was translated (the codecs write the client's name) or passed through. Here the passed-through answers: only
 * the model field changes, every other byte stays as the provider sent it. Where each dialect carries it: chat,
 * embeddings, Responses and Messages answers at the top ({@code model}); Responses' stream events inside
 * {@code response}, Anthropic's {@code message_start} inside {@code message}; Gemini's {@code modelVersion}.
 */
public final class AnswerModel {

    private static final byte[] MODEL = "\"model".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

    private AnswerModel() {
    }

    /** A whole answer with its model field naming {@code requested}; the answer itself when it has none or is not JSON. */
    public static byte[] whole(Api api, byte[] json, String requested) {
        if (Bytes.indexOf(json, MODEL, 0) < 0) {
            return json;
        }
        return top(json, api == Api.GEMINI ? "modelVersion" : "model", requested);
    }

    /** A stream event with its model field naming {@code requested}; the same event when it carries none. */
    public static SseEvent event(Api api, SseEvent event, String requested) {
        if (!event.contains(MODEL)) {
            return event;
        }
        byte[] raw = event.raw();
        int line = dataLine(raw);
        if (line < 0) {
            return event;
        }
        int from = line + DATA.length;
        if (from < raw.length && raw[from] == ' ') {
            from++;
        }
        int to = from;
        while (to < raw.length && raw[to] != '\n' && raw[to] != '\r') {
            to++;
        }
        if (indexOfLineStart(raw, DATA, to) >= 0) {
            return event; // an event split over several data lines: left as it is
        }
        byte[] json = java.util.Arrays.copyOfRange(raw, from, to);
        byte[] edited = switch (api) {
            case RESPONSES -> nested(json, "response", requested);
            case MESSAGES -> nested(json, "message", requested);
            case GEMINI -> top(json, "modelVersion", requested);
            default -> top(json, "model", requested);
        };
        if (edited == json) {
            return event;
        }
        byte[] out = new byte[raw.length - json.length + edited.length];
        System.arraycopy(raw, 0, out, 0, from);
        System.arraycopy(edited, 0, out, from, edited.length);
        System.arraycopy(raw, to, out, from + edited.length, raw.length - to);
        return new SseEvent(out);
    }

    private static byte[] top(byte[] json, String field, String requested) {
        try {
            JsonBody body = JsonBody.parse(json);
            if (body.token(field).orElse(null) != JsonToken.VALUE_STRING) {
                return json;
            }
            return body.with(Map.of(field, JsonBody.quote(requested)));
        } catch (InvalidJsonException e) {
            return json;
        }
    }

    private static byte[] nested(byte[] json, String outer, String requested) {
        try {
            JsonBody body = JsonBody.parse(json);
            if (body.token(outer).orElse(null) != JsonToken.START_OBJECT) {
                return json;
            }
            byte[] inner = body.raw(outer).orElseThrow();
            byte[] edited = top(inner, "model", requested);
            return edited == inner ? json : body.with(Map.of(outer, edited));
        } catch (InvalidJsonException e) {
            return json;
        }
    }

    private static int dataLine(byte[] raw) {
        return indexOfLineStart(raw, DATA, 0);
    }

    private static int indexOfLineStart(byte[] raw, byte[] prefix, int from) {
        for (int at = Bytes.indexOf(raw, prefix, from); at >= 0; at = Bytes.indexOf(raw, prefix, at + 1)) {
            if (at == 0 || raw[at - 1] == '\n' || raw[at - 1] == '\r') {
                return at;
            }
        }
        return -1;
    }
}
