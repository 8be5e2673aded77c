package dev.tollgate.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One YAML file read into a tree, remembering where each key and value is (by path such as
 * {@code keys[2].budgets[0].amount_usd}), because Jackson's tree forgets locations.
 */
final class YamlDoc {

    private static final YAMLFactory FACTORY = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    final String file;
    final JsonNode root;
    private final Map<String, SourcePos> values = new HashMap<>();
    private final Map<String, SourcePos> keys = new HashMap<>();

    private YamlDoc(String file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /** Parses the file; syntax errors and duplicate keys become problems with their position. */
    static YamlDoc parse(String file, byte[] bytes, List<Problem> problems) {
        YamlDoc doc = new YamlDoc(file, null);
        try (JsonParser p = FACTORY.createParser(bytes)) {
            JsonToken first = p.nextToken();
            JsonNode root = first == null ? NODES.nullNode() : doc.read(p, "", problems);
            return new YamlDoc(file, root).with(doc);
        } catch (IOException e) {
            JsonLocation at = e instanceof com.fasterxml.jackson.core.JacksonException je ? je.getLocation() : null;
            String message = e.getMessage() == null ? "unreadable" : e.getMessage();
            if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe) {
                message = jpe.getOriginalMessage();
            }
            int nl = message.indexOf('\n');
            problems.add(new Problem(at == null ? new SourcePos(file, 1, 1) : doc.pos(at),
                    "not valid YAML: " + (nl < 0 ? message : message.substring(0, nl)).trim()
                            + " (check indentation, a missing ':' or an unclosed bracket or quote)"));
            return null;
        }
    }

    private YamlDoc with(YamlDoc positions) {
        values.putAll(positions.values);
        keys.putAll(positions.keys);
        return this;
    }

    private SourcePos pos(JsonLocation at) {
        return new SourcePos(file, at.getLineNr(), at.getColumnNr());
    }

    private JsonNode read(JsonParser p, String path, List<Problem> problems) throws IOException {
        values.put(path, pos(p.currentTokenLocation()));
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    String child = path.isEmpty() ? name : path + "." + name;
                    SourcePos keyPos = pos(p.currentTokenLocation());
                    p.nextToken();
                    if (object.has(name)) {
                        problems.add(new Problem(keyPos, "'" + name + "' appears twice in the same mapping (first at line "
                                + keys.get(child).line() + "); keep one"));
                        read(p, path + ".#dup", problems);
                        continue;
                    }
                    keys.put(child, keyPos);
                    object.set(name, read(p, child, problems));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    array.add(read(p, path + "[" + i++ + "]", problems));
                }
                yield array;
            }
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> NODES.numberNode(p.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDecimalValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            default -> NODES.nullNode();
        };
    }

    /** The value at the path, else its key, else the nearest enclosing one; never fails. */
    SourcePos at(String path) {
        for (String p = path; ; p = parent(p)) {
            SourcePos found = values.get(p);
            if (found == null) {
                found = keys.get(p);
            }
            if (found != null) {
                return found;
            }
            if (p.isEmpty()) {
                return new SourcePos(file, 1, 1);
            }
        }
    }

    /** The key's own position (for unknown fields), else {@link #at}. */
    SourcePos keyAt(String path) {
        SourcePos found = keys.get(path);
        return found != null ? found : at(path);
    }

    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
