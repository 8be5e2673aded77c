package dev.tollgate.sim;

import java.io.IOException;
import java.io.OutputStream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One shared Jackson setup for the whole simulator. */
final class Json {
    /**
     * AUTO_CLOSE_TARGET off: generators write straight into the HTTP response stream, and closing
     * it would end the response. No root separator: SSE events are written as consecutive root values.
     * A shared buffer pool instead of thread locals, because every connection is a fresh virtual thread.
     */
    static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .rootValueSeparator((String) null)
            .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
            .build();

    static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    private Json() {
    }

    static JsonGenerator generator(OutputStream out) throws IOException {
        return FACTORY.createGenerator(out);
    }

    static JsonNode parse(byte[] body) throws IOException {
        return MAPPER.readTree(body);
    }

    /** Field value as text, or {@code fallback} when absent or not a string. */
    static String text(JsonNode node, String field, String fallback) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.textValue() : fallback;
    }

    /** A growable byte buffer whose array can be sent without copying. */
    static final class Buffer extends java.io.ByteArrayOutputStream {
        Buffer(int size) {
            super(size);
        }

        byte[] array() {
            return buf;
        }
    }
}
