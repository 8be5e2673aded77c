package dev.tollgate.providers.ir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Small tree helpers the codecs share. */
public final class Json {

    private Json() {
    }

    public static ObjectNode object() {
        return JsonBody.MAPPER.createObjectNode();
    }

    /** A text field, or null when absent or not text. */
    public static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isTextual() ? null : v.asText();
    }

    /** Parses JSON text; text that is not JSON comes back as a string node so nothing is lost. */
    public static JsonNode parseOrString(String json) {
        if (json == null || json.isBlank()) {
            return object();
        }
        try {
            return JsonBody.MAPPER.readTree(json);
        } catch (IOException e) {
            return JsonBody.MAPPER.getNodeFactory().textNode(json);
        }
    }

    public static JsonNode parse(byte[] json) {
        try {
            return JsonBody.MAPPER.readTree(json);
        } catch (IOException e) {
            return JsonBody.MAPPER.missingNode();
        }
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return JsonBody.MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Integer intOrNull(JsonNode node, String field) {
        return asInt(node.get(field));
    }

    public static Double doubleOrNull(JsonNode node, String field) {
        return asDouble(node.get(field));
    }

    /** A number, or null when absent or not a number. */
    public static Integer asInt(JsonNode v) {
        return v == null || !v.isNumber() ? null : v.asInt();
    }

    public static Double asDouble(JsonNode v) {
        return v == null || !v.isNumber() ? null : v.asDouble();
    }

    /** A string or a list of strings (OpenAI's {@code stop}). */
    public static List<String> strings(JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
        } else {
            v.forEach(s -> out.add(s.asText()));
        }
        return out;
    }

    /** A data URL split into media type and base64 data, or null when it is not one. */
    public static String[] dataUrl(String url) {
        if (url == null || !url.startsWith("data:")) {
            return null;
        }
        int semi = url.indexOf(";base64,");
        if (semi < 0) {
            return null;
        }
        return new String[] {url.substring(5, semi), url.substring(semi + 8)};
    }
}
