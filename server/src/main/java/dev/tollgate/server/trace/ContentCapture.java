package dev.tollgate.server.trace;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.ResponseFolder;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import dev.tollgate.providers.translate.Wires;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The prompt and the answer of one request whose key, team or customer turned {@code capture_content}
 * on. The answer is copied from the bytes as they are written to the client (never held back); a
 * stream's events are assembled into the text the client received only when the request has ended.
 * Each stored field keeps at most {@link #LIMIT} bytes and then says it was cut.
 */
public final class ContentCapture {

    /** Bytes kept of the request body and of the answer, each. */
    static final int LIMIT = 64 * 1024;
    /** Raw stream bytes copied: event framing and JSON take several times the text they carry. */
    private static final int RAW_STREAM_LIMIT = 16 * LIMIT;

    private final byte[] request;
    private final ByteArrayOutputStream answer = new ByteArrayOutputStream(1024);
    private long answerBytes;

    ContentCapture(byte[] requestBody) {
        this.request = requestBody;
    }

    /** A copy of what just went to the client; past the raw bound only counted. */
    void answer(byte[] b, int off, int len) {
        int room = RAW_STREAM_LIMIT - answer.size();
        if (room > 0) {
            answer.write(b, off, Math.min(room, len));
        }
        answerBytes += len;
    }

    /** What the log stores: the request as sent, the answer as received (a stream's text assembled). */
    public RequestRecord.Content toContent(Api api, boolean stream) {
        String response;
        if (answerBytes == 0) {
            response = null;
        } else if (stream && api != null && api != Api.EMBEDDINGS) {
            response = bounded(assemble(api, answer.toByteArray(), answerBytes > answer.size()));
        } else {
            response = bounded(answer.toByteArray(), answerBytes);
        }
        return new RequestRecord.Content(bounded(request, request.length), response);
    }

    /** The stream's text and tool calls, in order, decoded with the client's own codec. */
    private static String assemble(Api api, byte[] raw, boolean cut) {
        WireCodec.StreamDecoder decoder = Wires.codec(api).streamDecoder();
        ResponseFolder folder = new ResponseFolder();
        try {
            SseReader reader = new SseReader(new ByteArrayInputStream(raw));
            for (SseEvent event = reader.next(); event != null; event = reader.next()) {
                decoder.decode(event).forEach(folder::accept);
            }
            decoder.end().forEach(folder::accept);
        } catch (IOException | RuntimeException e) {
            // A cut-off last event or an error event the decoder refuses: keep what was assembled.
        }
        StringBuilder text = new StringBuilder();
        for (Part part : folder.response().content()) {
            switch (part) {
                case Part.Text t -> text.append(t.text());
                case Part.ToolCall c -> text.append(text.isEmpty() ? "" : "\n").append("[tool call ").append(c.name()).append(' ')
                        .append(c.arguments()).append("]\n");
                default -> { }
            }
        }
        if (folder.failure() != null) {
            text.append("\n[stream error: ").append(folder.failure()).append(']');
        }
        if (cut) {
            text.append("\n[the stream went on past ").append(RAW_STREAM_LIMIT / 1024).append(" KiB; the rest was not captured]");
        }
        return text.toString();
    }

    private static String bounded(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bounded(bytes, bytes.length);
    }

    /** UTF-8 text of at most {@link #LIMIT} bytes; a cut is marked with how much there was. */
    static String bounded(byte[] bytes, long total) {
        if (total <= LIMIT && bytes.length == total) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        int end = Math.min(LIMIT, bytes.length);
        while (end > 0 && end < bytes.length && (bytes[end] & 0xC0) == 0x80) {
            end--; // not inside a UTF-8 sequence
        }
        return new String(Arrays.copyOf(bytes, end), StandardCharsets.UTF_8)
                + "\n[truncated by tollgate: " + total + " bytes, the first " + end + " kept]";
    }
}
