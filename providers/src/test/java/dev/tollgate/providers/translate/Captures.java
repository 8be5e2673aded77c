package dev.tollgate.providers.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** Real client requests and provider streams from ../shared/captures (trimmed, secrets redacted). */
final class Captures {

    private Captures() {
    }

    static InputStream open(String name) {
        InputStream in = Captures.class.getResourceAsStream("/captures/" + name);
        if (in == null) {
            throw new IllegalArgumentException("no capture " + name);
        }
        return in;
    }

    /** A captured request's body, as the client sent it. */
    static JsonBody requestBody(String name) throws Exception {
        try (InputStream in = open(name)) {
            JsonNode capture = JsonBody.MAPPER.readTree(in);
            return JsonBody.parse(JsonBody.MAPPER.writeValueAsBytes(capture.get("body")));
        }
    }

    static JsonNode json(byte[] bytes) throws IOException {
        return JsonBody.MAPPER.readTree(bytes);
    }

    /** A captured upstream stream decoded by one codec and encoded by another, event by event. */
    static List<JsonNode> translate(String sse, WireCodec from, WireCodec to, dev.tollgate.providers.ir.ChatRequest client) throws IOException {
        WireCodec.StreamDecoder decoder = from.streamDecoder();
        WireCodec.StreamEncoder encoder = to.streamEncoder(client);
        List<JsonNode> out = new ArrayList<>();
        try (InputStream in = open(sse)) {
            SseReader reader = new SseReader(in);
            SseEvent e;
            while ((e = reader.next()) != null) {
                for (StreamEvent ir : decoder.decode(e)) {
                    for (SseEvent written : encoder.encode(ir)) {
                        out.add(data(written));
                    }
                }
            }
            for (StreamEvent ir : decoder.end()) {
                for (SseEvent written : encoder.encode(ir)) {
                    out.add(data(written));
                }
            }
        }
        return out;
    }

    /** An event's data as JSON; chat's [DONE] becomes the text node "[DONE]". */
    static JsonNode data(SseEvent e) throws IOException {
        String text = e.text();
        return text.equals("[DONE]") ? JsonBody.MAPPER.getNodeFactory().textNode(text) : JsonBody.MAPPER.readTree(text);
    }

    static List<JsonNode> ofType(List<JsonNode> events, String type) {
        return events.stream().filter(e -> type.equals(e.path("type").asText())).toList();
    }
}
