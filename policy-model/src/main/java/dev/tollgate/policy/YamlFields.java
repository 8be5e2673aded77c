package dev.tollgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The generic half of reading a policy file: typed field readers over one YAML document that record
 * a problem (file:line:col, what is wrong, how to fix it) instead of stopping at the first.
 */
final class YamlFields {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]*");

    final YamlDoc doc;
    private final List<Problem> problems;

    YamlFields(YamlDoc doc, List<Problem> problems) {
        this.doc = doc;
        this.problems = problems;
    }

    void problem(String path, String message) {
        problems.add(new Problem(doc.at(path), message));
    }

    /** A problem with a field's name rather than its value: reported where the name is written. */
    void problemAtKey(String path, String message) {
        problems.add(new Problem(doc.keyAt(path), message));
    }

    static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    boolean fields(JsonNode node, String path, Set<String> allowed) {
        boolean ok = true;
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                ok = false;
                String near = closest(name, allowed);
                problems.add(new Problem(doc.keyAt(join(path, name)), "unknown field '" + name + "'"
                        + (near == null ? "" : "; did you mean '" + near + "'?") + " (allowed here: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")"));
            }
        }
        return ok;
    }

    static String closest(String name, Set<String> allowed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : allowed) {
            int d = distance(name.toLowerCase(Locale.ROOT), candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 3) ? best : null;
    }

    interface Item {
        void read(JsonNode node, String path);
    }

    /** Each element of a list field, skipping what is not a mapping. */
    void each(JsonNode node, String path, String field, Item item) {
        JsonNode list = node.get(field);
        String where = join(path, field);
        if (list == null || list.isNull()) {
            return;
        }
        if (!list.isArray()) {
            problem(where, "'" + field + "' must be a list (each entry starting with '- ')");
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            if (!list.get(i).isObject()) {
                problem(at, "expected a mapping (field: value ...) in '" + field + "', found " + describe(list.get(i)));
            } else {
                item.read(list.get(i), at);
            }
        }
    }

    String text(JsonNode node, String path, String field, boolean required) {
        JsonNode value = node.get(field);
        String where = join(path, field);
        if (value == null || value.isNull()) {
            if (required) {
                problem(path, "'" + field + "' is required here");
            }
            return null;
        }
        if (!value.isValueNode() || value.isBoolean()) {
            problem(where, "'" + field + "' must be text, found " + describe(value)
                    + (value.isBoolean() ? " (quote it: \"" + value.asText() + "\")" : ""));
            return null;
        }
        if (value.asText().isBlank()) {
            problem(where, "'" + field + "' must not be empty");
            return null;
        }
        return value.asText();
    }

    String id(JsonNode node, String path, String field) {
        String id = text(node, path, field, true);
        if (id != null && !ID.matcher(id).matches()) {
            problem(join(path, field), "'" + id + "' is not a usable id: use letters, digits and . _ @ - (no spaces or slashes)");
            return null;
        }
        return id;
    }

    BigDecimal number(JsonNode node, String path, String field, boolean required) {
        JsonNode value = node.get(field);
        String where = join(path, field);
        if (value == null || value.isNull()) {
            if (required) {
                problem(path, "'" + field + "' is required here");
            }
            return null;
        }
        if (!value.isNumber()) {
            String hint = value.isTextual() ? " (write it as a bare number, e.g. " + field + ": "
                    + value.asText().replaceAll("[^0-9.]", "") + ")" : "";
            problem(where, "'" + field + "' must be a number, found " + describe(value) + hint);
            return null;
        }
        return value.decimalValue();
    }

    /** A whole number of at least {@code min}; {@code fallback} when absent. */
    Long whole(JsonNode node, String path, String field, long min, Long fallback, String why) {
        BigDecimal n = number(node, path, field, false);
        if (n == null) {
            return node.has(field) && !node.get(field).isNull() ? null : fallback;
        }
        if (n.stripTrailingZeros().scale() > 0) {
            problem(join(path, field), "'" + field + "' must be a whole number, found " + n.toPlainString());
            return null;
        }
        if (n.compareTo(BigDecimal.valueOf(min)) < 0) {
            problem(join(path, field), "'" + field + "' is " + n.toPlainString() + "; it must be at least " + min + why);
            return null;
        }
        if (n.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            problem(join(path, field), "'" + field + "' is " + n.toPlainString() + "; it must be at most " + Long.MAX_VALUE);
            return null;
        }
        return n.longValueExact();
    }

    List<String> strings(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        String where = join(path, field);
        List<String> out = new ArrayList<>();
        if (value == null || value.isNull()) {
            return out;
        }
        if (value.isTextual()) {
            out.add(value.asText());
            return out;
        }
        if (!value.isArray()) {
            problem(where, "'" + field + "' must be a list of text, e.g. [a, b]; found " + describe(value));
            return out;
        }
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isValueNode() || item.isNull() || item.isBoolean()) {
                problem(where + "[" + i + "]", "expected text, found " + describe(item));
            } else {
                out.add(item.asText());
            }
        }
        return out;
    }

    Map<String, String> stringMap(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        Map<String, String> map = new LinkedHashMap<>();
        if (value == null || value.isNull()) {
            return map;
        }
        if (!value.isObject()) {
            problem(join(path, field), "'" + field + "' must be a mapping of names to text, found " + describe(value));
            return map;
        }
        value.fields().forEachRemaining(e -> {
            if (e.getValue().isArray() && !e.getValue().isEmpty() && allScalars(e.getValue())) {
                // A list of words ("api: [chat, responses]") is kept as "chat,responses"; its setting's type decides if it may be one.
                List<String> items = new ArrayList<>();
                e.getValue().forEach(v -> items.add(v.asText()));
                map.put(e.getKey(), String.join(",", items));
            } else if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                problem(join(join(path, field), e.getKey()), "expected text, found " + describe(e.getValue()));
            } else {
                map.put(e.getKey(), e.getValue().asText());
            }
        });
        return map;
    }

    private static boolean allScalars(JsonNode list) {
        for (JsonNode v : list) {
            if (!v.isValueNode() || v.isNull()) {
                return false;
            }
        }
        return true;
    }

    JsonNode object(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            problem(join(path, field), "'" + field + "' must be a mapping (field: value ...), found " + describe(value));
            return null;
        }
        return value;
    }

    static String describe(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isNull()) {
            return "nothing";
        }
        if (node.isBoolean()) {
            return "true/false";
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        return "the text '" + (node.asText().length() > 40 ? Secrets.redact(node.asText()) : node.asText()) + "'";
    }

    Duration seconds(JsonNode node, String path, String field, Duration fallback) {
        BigDecimal n = number(node, path, field, false);
        if (n == null) {
            return fallback;
        }
        if (n.signum() <= 0) {
            problem(join(path, field), "'" + field + "' must be a positive number of seconds, found " + n.toPlainString());
            return fallback;
        }
        return Duration.ofMillis(n.multiply(BigDecimal.valueOf(1000)).longValue());
    }

    String hash(JsonNode node, String path) {
        String hash = text(node, path, "sha256", true);
        if (hash != null && !SHA256.matcher(hash).matches()) {
            problem(join(path, "sha256"), "'sha256' must be 64 lower-case hex characters: the SHA-256 of the secret, "
                    + "never the secret itself (`tollgate keys new` prints both; commit only the hash)");
            return null;
        }
        return hash;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
