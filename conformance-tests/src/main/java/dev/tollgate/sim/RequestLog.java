package dev.tollgate.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Header;
import io.helidon.webserver.http.ServerRequest;

/**
 * The last N requests, for tests to inspect. Recording is on the hot path, so it only keeps
 * references (the body bytes are already read) and copies header strings; JSON is parsed when
 * {@code GET /_sim/requests} asks.
 */
final class RequestLog {
    /** {@code usage}: what the answer reported, set once it is decided (JSON), for tests that price it themselves. */
    private record Entry(long seq, long atMillis, String method, String path, String query, String[] headers, byte[] body,
                         AtomicReference<String> usage) {
    }

    private final AtomicReferenceArray<Entry> ring;
    private final AtomicLong next = new AtomicLong();
    private final int size;

    RequestLog(int size) {
        this.size = size;
        this.ring = new AtomicReferenceArray<>(Math.max(size, 1));
    }

    void record(ServerRequest req, byte[] body) {
        if (size == 0) {
            return;
        }
        String[] headers = new String[req.headers().size() * 2];
        int i = 0;
        for (Header h : req.headers()) {
            if (i + 1 >= headers.length) {
                break;
            }
            headers[i++] = h.headerName().lowerCase();
            headers[i++] = h.values();
        }
        long seq = next.getAndIncrement();
        ring.set((int) (seq % size), new Entry(seq, System.currentTimeMillis(),
                req.prologue().method().text(), req.path().rawPath(), req.query().rawValue(), headers, body, new AtomicReference<>()));
    }

    /**
     * Notes the usage the answer to the request with this body reports. The entry is found by the body
     * it holds (the same array), newest first, so it is among the last few recorded.
     */
    void usage(byte[] body, String json) {
        long end = next.get();
        for (long s = end - 1; s >= Math.max(0, end - size); s--) {
            Entry e = ring.get((int) (s % size));
            if (e != null && e.body == body) {
                e.usage.set(json);
                return;
            }
        }
    }

    int clear() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (ring.getAndSet(i, null) != null) {
                n++;
            }
        }
        return n;
    }

    /** Oldest first: [{seq, at_ms, method, path, query, headers:{...}, body}]; body is JSON when it parses, else text. */
    void writeJson(JsonGenerator g) throws IOException {
        long end = next.get();
        List<Entry> entries = new ArrayList<>();
        for (long s = Math.max(0, end - size); s < end; s++) {
            Entry e = ring.get((int) (s % size));
            if (e != null && e.seq == s) {
                entries.add(e);
            }
        }
        g.writeStartArray();
        for (Entry e : entries) {
            g.writeStartObject();
            g.writeNumberField("seq", e.seq);
            g.writeNumberField("at_ms", e.atMillis);
            g.writeStringField("method", e.method);
            g.writeStringField("path", e.path);
            g.writeStringField("query", e.query);
            g.writeObjectFieldStart("headers");
            for (int i = 0; i + 1 < e.headers.length; i += 2) {
                if (e.headers[i] != null) {
                    g.writeStringField(e.headers[i], e.headers[i + 1]);
                }
            }
            g.writeEndObject();
            g.writeFieldName("body");
            writeBody(e.body, g);
            if (e.usage.get() != null) {
                g.writeFieldName("usage");
                g.writeRawValue(e.usage.get());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeBody(byte[] body, JsonGenerator g) throws IOException {
        if (body == null || body.length == 0) {
            g.writeNull();
            return;
        }
        try {
            JsonNode n = Json.parse(body);
            g.writeTree(n);
        } catch (IOException e) {
            g.writeString(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
