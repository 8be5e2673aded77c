package dev.tollgate.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI embeddings: a deterministic unit vector per input, derived from the input's text. */
final class Embeddings {
    static final int DEFAULT_DIMENSIONS = 8;
    private static final int MAX_DIMENSIONS = 4096;

    private Embeddings() {
    }

    static void write(JsonNode body, String model, int inputTokens, JsonGenerator g) throws IOException {
        JsonNode input = body.get("input");
        int dims = body.has("dimensions") ? Math.clamp(body.get("dimensions").asInt(DEFAULT_DIMENSIONS), 1, MAX_DIMENSIONS)
                : DEFAULT_DIMENSIONS;
        // The OpenAI Python SDK asks for base64 by default and decodes little-endian float32s.
        boolean base64 = "base64".equals(Json.text(body, "encoding_format", null));
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        if (input != null && input.isArray() && !input.isEmpty() && !input.get(0).isNumber()) {
            int i = 0;
            for (JsonNode el : input) {
                item(g, i++, el.isTextual() ? el.textValue() : el.toString(), dims, base64);
            }
        } else {
            item(g, 0, input == null ? "" : input.isTextual() ? input.textValue() : input.toString(), dims, base64);
        }
        g.writeEndArray();
        g.writeStringField("model", model);
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", inputTokens);
        g.writeNumberField("total_tokens", inputTokens);
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void item(JsonGenerator g, int index, String text, int dims, boolean base64) throws IOException {
        float[] v = vector(text, dims);
        g.writeStartObject();
        g.writeStringField("object", "embedding");
        g.writeNumberField("index", index);
        g.writeFieldName("embedding");
        if (base64) {
            ByteBuffer buf = ByteBuffer.allocate(dims * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                buf.putFloat(f);
            }
            g.writeString(Base64.getEncoder().encodeToString(buf.array()));
        } else {
            g.writeStartArray();
            for (float f : v) {
                g.writeNumber(f);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    /** SplitMix64 seeded by the text: the same text always gives the same unit-length vector. */
    static float[] vector(String text, int dims) {
        long state = text.hashCode() * 0x9E3779B97F4A7C15L + text.length();
        float[] v = new float[dims];
        double norm = 0;
        for (int i = 0; i < dims; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            v[i] = (float) ((z >>> 11) * 0x1.0p-53 * 2 - 1);
            norm += v[i] * v[i];
        }
        float scale = (float) (1 / Math.sqrt(norm == 0 ? 1 : norm));
        for (int i = 0; i < dims; i++) {
            v[i] *= scale;
        }
        return v;
    }
}
