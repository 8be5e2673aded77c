package dev.tollgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a directory tree of policy YAML files ({@code providers:} and {@code models:} lists, in any
 * file) into a {@link PolicySnapshot}. Deliberately small: the full policy-as-code loader replaces it.
 */
public final class PolicyLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP_FIELDS = Set.of("providers", "models");
    private static final Set<String> PROVIDER_FIELDS = Set.of("id", "kind", "base_url", "credential", "credentials",
            "headers", "settings", "timeouts");
    private static final Set<String> MODEL_FIELDS = Set.of("name", "aliases", "targets");
    private static final Set<String> TARGET_FIELDS = Set.of("provider", "model", "weight");

    private PolicyLoader() {
    }

    public static PolicySnapshot loadDirectory(Path dir) throws PolicyException {
        if (!Files.isDirectory(dir)) {
            throw new PolicyException(List.of(dir + ": not a directory of policy files"));
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(p -> !dir.relativize(p).toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new PolicyException(List.of(dir + ": cannot list files: " + e.getMessage()));
        }
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (Path file : files) {
            try {
                contents.put(dir.relativize(file).toString(), Files.readAllBytes(file));
            } catch (IOException e) {
                throw new PolicyException(List.of(file + ": cannot read: " + e.getMessage()));
            }
        }
        return load(contents);
    }

    /** Loads from file name -> content, so a Git tree or a test can supply files without a directory. */
    public static PolicySnapshot load(Map<String, byte[]> files) throws PolicyException {
        List<String> problems = new ArrayList<>();
        List<Provider> providers = new ArrayList<>();
        List<Model> models = new ArrayList<>();
        for (var file : files.entrySet()) {
            JsonNode root;
            try {
                root = YAML.readTree(file.getValue());
            } catch (IOException e) {
                problems.add(file.getKey() + ": not valid YAML: " + firstLine(e.getMessage()));
                continue;
            }
            if (root == null || root.isMissingNode() || root.isNull()) {
                continue;
            }
            Reader reader = new Reader(file.getKey(), problems);
            if (!root.isObject()) {
                problems.add(file.getKey() + ": expected a mapping with 'providers:' and/or 'models:'");
                continue;
            }
            reader.checkFields(root, "", TOP_FIELDS);
            reader.list(root, "providers").forEach(p -> reader.provider(p.node(), p.path(), providers));
            reader.list(root, "models").forEach(m -> reader.model(m.node(), m.path(), models));
        }
        Policy policy = new Policy(providers, models);
        problems.addAll(PolicySnapshot.crossCheck(policy));
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        return new PolicySnapshot(policy, version(files));
    }

    private static String version(Map<String, byte[]> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            files.forEach((name, bytes) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(bytes);
            });
            return "dir-" + HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String message) {
        int nl = message == null ? -1 : message.indexOf('\n');
        return nl < 0 ? String.valueOf(message) : message.substring(0, nl);
    }

    private record Located(JsonNode node, String path) {
    }

    /** Reads one file, collecting problems instead of stopping at the first. */
    private record Reader(String file, List<String> problems) {

        void problem(String path, String message) {
            problems.add(file + ": " + path + ": " + message);
        }

        void checkFields(JsonNode node, String path, Set<String> allowed) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!allowed.contains(name)) {
                    problem(path.isEmpty() ? name : path + "." + name,
                            "unknown field (expected one of " + allowed.stream().sorted().toList() + ")");
                }
            }
        }

        List<Located> list(JsonNode node, String field) {
            JsonNode list = node.get(field);
            if (list == null || list.isNull()) {
                return List.of();
            }
            if (!list.isArray()) {
                problem(field, "expected a list");
                return List.of();
            }
            List<Located> items = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                items.add(new Located(list.get(i), field + "[" + i + "]"));
            }
            return items;
        }

        String text(JsonNode node, String path, String field, boolean required) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                if (required) {
                    problem(path + "." + field, "required");
                }
                return null;
            }
            if (!value.isValueNode() || value.isBoolean()) {
                problem(path + "." + field, "expected a string");
                return null;
            }
            return value.asText();
        }

        Map<String, String> stringMap(JsonNode node, String path, String field) {
            JsonNode value = node.get(field);
            Map<String, String> map = new LinkedHashMap<>();
            if (value == null || value.isNull()) {
                return map;
            }
            if (!value.isObject()) {
                problem(path + "." + field, "expected a mapping of names to strings");
                return map;
            }
            value.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
            return map;
        }

        void provider(JsonNode node, String path, List<Provider> out) {
            if (!node.isObject()) {
                problem(path, "expected a mapping");
                return;
            }
            checkFields(node, path, PROVIDER_FIELDS);
            String id = text(node, path, "id", true);
            String kindName = text(node, path, "kind", true);
            String baseUrl = text(node, path, "base_url", true);
            ProviderKind kind = kindName == null ? null : ProviderKind.byId(kindName).orElse(null);
            if (kindName != null && kind == null) {
                problem(path + ".kind", "unknown kind '" + kindName + "' (expected one of "
                        + Stream.of(ProviderKind.values()).map(ProviderKind::id).toList() + ")");
            }
            URI uri = null;
            if (baseUrl != null) {
                try {
                    uri = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
                    if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
                        problem(path + ".base_url", "expected an http(s) URL such as https://api.openai.com/v1");
                    }
                } catch (IllegalArgumentException e) {
                    problem(path + ".base_url", "not a URL: " + e.getMessage());
                }
            }
            List<Credential> credentials = new ArrayList<>();
            String single = text(node, path, "credential", false);
            if (single != null) {
                credential(single, 1, path + ".credential", credentials);
            }
            for (Located c : list(node, "credentials")) {
                String where = path + "." + c.path();
                if (c.node().isTextual()) {
                    credential(c.node().asText(), 1, where, credentials);
                } else if (c.node().isObject()) {
                    String ref = text(c.node(), where, "ref", true);
                    int weight = c.node().path("weight").asInt(1);
                    if (ref != null) {
                        credential(ref, weight, where, credentials);
                    }
                } else {
                    problem(where, "expected env:NAME, file:PATH or {ref, weight}");
                }
            }
            Provider.Timeouts timeouts = timeouts(node.get("timeouts"), path + ".timeouts");
            if (id != null && kind != null && uri != null) {
                out.add(new Provider(id, kind, uri, credentials, stringMap(node, path, "headers"),
                        stringMap(node, path, "settings"), timeouts));
            }
        }

        private void credential(String ref, int weight, String where, List<Credential> out) {
            try {
                out.add(new Credential(SecretRef.parse(ref), Math.max(1, weight)));
            } catch (IllegalArgumentException e) {
                problem(where, e.getMessage());
            }
        }

        private Provider.Timeouts timeouts(JsonNode node, String path) {
            if (node == null || node.isNull()) {
                return Provider.Timeouts.DEFAULT;
            }
            Provider.Timeouts d = Provider.Timeouts.DEFAULT;
            return new Provider.Timeouts(
                    seconds(node, path, "connect_seconds", d.connect()),
                    seconds(node, path, "first_byte_seconds", d.firstByte()),
                    seconds(node, path, "idle_seconds", d.idle()));
        }

        private Duration seconds(JsonNode node, String path, String field, Duration fallback) {
            JsonNode value = node.get(field);
            if (value == null) {
                return fallback;
            }
            if (!value.isNumber() || value.asDouble() <= 0) {
                problem(path + "." + field, "expected a positive number of seconds");
                return fallback;
            }
            return Duration.ofMillis((long) (value.asDouble() * 1000));
        }

        void model(JsonNode node, String path, List<Model> out) {
            if (!node.isObject()) {
                problem(path, "expected a mapping");
                return;
            }
            checkFields(node, path, MODEL_FIELDS);
            String name = text(node, path, "name", true);
            List<String> aliases = new ArrayList<>();
            for (Located a : list(node, "aliases")) {
                aliases.add(a.node().asText());
            }
            List<ModelTarget> targets = new ArrayList<>();
            for (Located t : list(node, "targets")) {
                String where = path + "." + t.path();
                checkFields(t.node(), where, TARGET_FIELDS);
                String provider = text(t.node(), where, "provider", true);
                String model = text(t.node(), where, "model", true);
                int weight = t.node().path("weight").asInt(1);
                if (provider != null && model != null) {
                    targets.add(new ModelTarget(provider, model, weight));
                }
            }
            if (targets.isEmpty()) {
                problem(path + ".targets", "a model needs at least one target (provider and model)");
            }
            if (name != null) {
                out.add(new Model(name, aliases, targets));
            }
        }
    }
}
