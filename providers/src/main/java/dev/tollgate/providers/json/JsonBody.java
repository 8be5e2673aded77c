package dev.tollgate.providers.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON object request body read once: the raw bytes plus where each top-level field's value
 * sits in them. The gateway reads the few fields it needs and edits a field by splicing bytes, so
 * every other field (including ones no spec knows) reaches the upstream byte for byte.
 */
public final class JsonBody {

    /** Writes BigDecimals plainly (8000, not 8E+3): money the gateway reports is read by people and spreadsheets. */
    public static final ObjectMapper MAPPER = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    private final byte[] bytes;
    private final Map<String, Field> fields;
    private final int closingBrace;

    /** Where a top-level field's name and value start, where the value ends, and what kind of value it is. */
    private record Field(int nameStart, int start, int end, JsonToken token) {
    }

    private JsonBody(byte[] bytes, Map<String, Field> fields, int closingBrace) {
        this.bytes = bytes;
        this.fields = fields;
        this.closingBrace = closingBrace;
    }

    /** Parses the whole document (so malformed JSON anywhere is caught) but builds no tree. */
    public static JsonBody parse(byte[] bytes) throws InvalidJsonException {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidJsonException("the request body must be a JSON object");
            }
            Map<String, Field> fields = new HashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                int nameStart = (int) p.currentTokenLocation().getByteOffset();
                JsonToken token = p.nextToken();
                int start = (int) p.currentTokenLocation().getByteOffset();
                if (token.isStructStart()) {
                    p.skipChildren();
                } else {
                    p.finishToken();
                }
                int end = (int) p.currentLocation().getByteOffset();
                fields.put(name, new Field(nameStart, start, end, token));
            }
            int closingBrace = (int) p.currentTokenLocation().getByteOffset();
            if (p.nextToken() != null) {
                throw new InvalidJsonException("unexpected content after the JSON object");
            }
            return new JsonBody(bytes, fields, closingBrace);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new InvalidJsonException("the request body is not valid JSON"
                    + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": " + problem(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new InvalidJsonException("the request body could not be read: " + e.getMessage());
        }
    }

    /**
     * Jackson's description of a syntax error in a client's words: what was found and what was expected, without the
     * parser's internals (its source descriptions, character codes, feature names).
     */
    static String problem(String jackson) {
        String m = jackson.replaceAll("\\[Source: .*?; line: (\\d+), column: (\\d+)\\]", "line $1, column $2")
                .replace("was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", "expected a JSON value");
        m = m.replaceAll("^Unexpected end-of-input: expected close marker for (Array|Object) \\(start marker at (line \\d+, column \\d+)\\)",
                "it ends before the JSON does (expected the end of the $1 opened at $2)");
        m = m.replaceAll("^Unexpected end-of-input.*", "it ends before the JSON does");
        m = m.replaceAll("^Unexpected close marker '(.)': expected '(.)'.*", "unexpected '$1' (expected '$2')");
        m = m.replaceAll("^Unrecognized token '(.*?)': (.*)", "unexpected '$1' ($2)");
        m = m.replaceAll("^Unexpected character \\('(.+?)' \\(code \\d+\\)\\):? ?(.*)", "unexpected character '$1' ($2)");
        m = m.replace("Array", "array").replace("Object", "object").replace("(was expecting ", "(expected ").replace(" ()", "");
        return m.replaceAll("\\s+", " ").trim();
    }

    /** The node as UTF-8 JSON through {@link #MAPPER}, so decimals are plain ({@code JsonNode.toString()} writes 8E+3). */
    public static byte[] write(com.fasterxml.jackson.databind.JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that does not serialize", e);
        }
    }

    public byte[] bytes() {
        return bytes;
    }

    public boolean has(String name) {
        Field f = fields.get(name);
        return f != null && f.token != JsonToken.VALUE_NULL;
    }

    /** A field's value as its raw JSON bytes, if present. */
    public Optional<byte[]> raw(String name) {
        return Optional.ofNullable(fields.get(name)).map(f -> java.util.Arrays.copyOfRange(bytes, f.start, f.end));
    }

    /** The kind of JSON value of a field, if present. */
    public Optional<JsonToken> token(String name) {
        return Optional.ofNullable(fields.get(name)).map(Field::token);
    }

    public Optional<String> string(String name) throws InvalidJsonException {
        Field f = fields.get(name);
        if (f == null || f.token == JsonToken.VALUE_NULL) {
            return Optional.empty();
        }
        if (f.token != JsonToken.VALUE_STRING) {
            throw new InvalidJsonException("'" + name + "' must be a string", name);
        }
        return Optional.of(unquote(f));
    }

    /** An integer field's value; empty when absent or not an integer that fits a long. */
    public java.util.OptionalLong longValue(String name) {
        Field f = fields.get(name);
        if (f == null || f.token != JsonToken.VALUE_NUMBER_INT) {
            return java.util.OptionalLong.empty();
        }
        int end = f.start;
        while (end < f.end && (bytes[end] == '-' || (bytes[end] >= '0' && bytes[end] <= '9'))) {
            end++;
        }
        try {
            return java.util.OptionalLong.of(Long.parseLong(new String(bytes, f.start, end - f.start, StandardCharsets.ISO_8859_1)));
        } catch (NumberFormatException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /** A string value straight from its bytes when it holds no escapes (the usual case), else through Jackson. */
    private String unquote(Field f) {
        int close = f.end - 1;
        while (close > f.start && bytes[close] != '"') {
            close--;
        }
        for (int i = f.start + 1; i < close; i++) {
            if (bytes[i] == '\\') {
                return node(f).asText();
            }
        }
        return new String(bytes, f.start + 1, close - f.start - 1, StandardCharsets.UTF_8);
    }

    public Optional<Boolean> bool(String name) throws InvalidJsonException {
        Field f = fields.get(name);
        if (f == null || f.token == JsonToken.VALUE_NULL) {
            return Optional.empty();
        }
        return switch (f.token) {
            case VALUE_TRUE -> Optional.of(true);
            case VALUE_FALSE -> Optional.of(false);
            default -> throw new InvalidJsonException("'" + name + "' must be true or false", name);
        };
    }

    /** Parses just one field's value into a tree. */
    public JsonNode node(String name) {
        Field f = fields.get(name);
        return f == null ? null : node(f);
    }

    private JsonNode node(Field f) {
        try {
            return MAPPER.readTree(bytes, f.start, f.end - f.start);
        } catch (IOException e) {
            throw new IllegalStateException("field was validated at parse time", e);
        }
    }

    /**
     * The object value of a top-level field, found from the end of the document: providers put usage
     * last, so only that object and the few bytes after it are read, instead of the whole answer. Null
     * when the last such key is not a top-level object field (the caller then parses the whole body).
     */
    public static JsonNode lastTopLevelObject(byte[] json, String name) {
        byte[] key = ("\"" + name + "\"").getBytes(StandardCharsets.UTF_8);
        int at = Bytes.lastIndexOf(json, key, json.length - key.length);
        if (at < 0) {
            return null;
        }
        int i = skipSpace(json, at + key.length);
        if (i >= json.length || json[i] != ':') {
            return null;
        }
        i = skipSpace(json, i + 1);
        if (i >= json.length || json[i] != '{') {
            return null;
        }
        try (JsonParser p = FACTORY.createParser(json, i, json.length - i)) {
            p.nextToken();
            JsonNode value = value(p);
            int end = i + (int) p.currentLocation().getByteOffset();
            return closesOnlyTheRoot(json, end) ? value : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The value at the parser's current token, built straight from the tokens: for a usage object of
     * a dozen numbers this is several times cheaper than ObjectMapper's tree reading.
     */
    private static JsonNode value(JsonParser p) throws IOException {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        JsonToken token = p.currentToken();
        if (token == null) {
            throw new IOException("the JSON ends early");
        }
        return switch (token) {
            case START_OBJECT -> {
                ObjectNode o = nodes.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    o.set(name, value(p));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = nodes.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(value(p));
                }
                yield a;
            }
            case VALUE_NUMBER_INT -> nodes.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT -> nodes.numberNode(p.getDecimalValue());
            case VALUE_STRING -> nodes.textNode(p.getText());
            case VALUE_TRUE -> nodes.booleanNode(true);
            case VALUE_FALSE -> nodes.booleanNode(false);
            case VALUE_NULL -> nodes.nullNode();
            default -> throw new IOException("unexpected " + token);
        };
    }

    /** Whether the bytes from {@code from} close exactly one open object: the field was at the top level. */
    private static boolean closesOnlyTheRoot(byte[] json, int from) {
        int depth = 0;
        boolean inString = false;
        for (int i = from; i < json.length; i++) {
            byte b = json[i];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
                continue;
            }
            switch (b) {
                case '"' -> inString = true;
                case '{', '[' -> depth++;
                case '}', ']' -> {
                    if (--depth < -1) {
                        return false;
                    }
                }
                default -> { }
            }
        }
        return depth == -1 && !inString;
    }

    private static int skipSpace(byte[] json, int i) {
        while (i < json.length && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) {
            i++;
        }
        return i;
    }

    /** A copy of the body with some top-level fields replaced or added (values as raw JSON). */
    public byte[] with(Map<String, byte[]> values) {
        return edit(values, Set.of());
    }

    /**
     * A copy of the body with some top-level fields replaced or added (values as raw JSON) and some
     * removed; every other byte, whitespace and separators included, stays as it was.
     */
    public byte[] edit(Map<String, byte[]> values, Set<String> removed) {
        // The copy is spliced from slices, then written once into an array of its exact size: a
        // coding agent's body runs to hundreds of KB, and a growing buffer copied it twice more.
        Splice out = new Splice();
        List<Field> ordered = new ArrayList<>(fields.values());
        ordered.sort(Comparator.comparingInt(Field::start));
        Map<Field, String> names = new HashMap<>();
        fields.forEach((name, f) -> names.put(f, name));
        List<Map.Entry<String, byte[]>> added = new ArrayList<>();
        for (var e : values.entrySet()) {
            if (!fields.containsKey(e.getKey())) {
                added.add(e);
            }
        }
        int pos = ordered.isEmpty() ? closingBrace : ordered.getFirst().nameStart;
        out.add(bytes, 0, pos); // the opening brace and the whitespace after it
        boolean empty = true;
        Field previous = null;
        for (Field f : ordered) {
            String name = names.get(f);
            if (!removed.contains(name)) {
                if (!empty) {
                    // the separator that preceded this field in the original (it holds the comma)
                    out.add(bytes, previous.end, f.nameStart - previous.end);
                }
                byte[] value = values.get(name);
                if (value == null) {
                    out.add(bytes, f.nameStart, f.end - f.nameStart);
                } else {
                    out.add(bytes, f.nameStart, f.start - f.nameStart);
                    out.add(value);
                }
                empty = false;
            }
            previous = f;
        }
        if (previous != null) {
            out.add(bytes, previous.end, closingBrace - previous.end); // whitespace before the closing brace
        }
        for (var e : added) {
            if (!empty) {
                out.add(COMMA);
            }
            empty = false;
            out.add(quote(e.getKey()));
            out.add(COLON);
            out.add(e.getValue());
        }
        out.add(bytes, closingBrace, bytes.length - closingBrace);
        return out.bytes();
    }

    private static final byte[] COMMA = {','};
    private static final byte[] COLON = {':'};

    /** Slices of byte arrays, joined once their total length is known. */
    private static final class Splice {
        private record Slice(byte[] array, int from, int count) {
        }

        private final List<Slice> slices = new ArrayList<>();
        private int length;

        void add(byte[] array) {
            add(array, 0, array.length);
        }

        void add(byte[] array, int from, int count) {
            slices.add(new Slice(array, from, count));
            length += count;
        }

        byte[] bytes() {
            byte[] out = new byte[length];
            int at = 0;
            for (Slice s : slices) {
                System.arraycopy(s.array, s.from, out, at, s.count);
                at += s.count;
            }
            return out;
        }
    }

    public static byte[] quote(String text) {
        try {
            return MAPPER.writeValueAsBytes(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
