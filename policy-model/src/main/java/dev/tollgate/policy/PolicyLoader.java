package dev.tollgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a tree of policy YAML files into a {@link PolicySnapshot}. Any file may hold any of the
 * top-level sections, so a team keeps one file per team, customer or provider. Every problem is
 * collected (not just the first) and names file, line and column, what is wrong and how to fix it.
 */
public final class PolicyLoader {

    /** Editors pick the schema up from this comment (yaml-language-server); the loader ignores it. */
    public static final String SCHEMA_FILE = "tollgate-policy.schema.json";

    static final Set<String> TOP_FIELDS = Set.of("providers", "models", "customers", "teams", "keys", "pricing", "admins");
    static final Set<String> PROVIDER_FIELDS = Set.of("id", "kind", "base_url", "credential", "credentials",
            "headers", "settings", "timeouts", "circuit_breaker");
    static final Set<String> TIMEOUT_FIELDS = Set.of("connect_seconds", "first_byte_seconds", "idle_seconds", "total_seconds");
    static final Set<String> BREAKER_FIELDS = Set.of("failures", "failure_ratio", "min_calls", "window_seconds", "open_seconds");
    static final Set<String> MODEL_FIELDS = Set.of("name", "aliases", "targets", "fallbacks", "retry");
    static final Set<String> TARGET_FIELDS = Set.of("provider", "model", "weight");
    static final Set<String> RETRY_FIELDS = Set.of("attempts", "backoff_ms", "max_backoff_ms", "retry_after_cap_seconds", "budget_seconds");
    static final Set<String> GOVERNANCE_FIELDS = Set.of("budgets", "limits", "allow_models", "deny_models",
            "max_concurrent", "expires", "labels", "capture_content");
    static final Set<String> CUSTOMER_FIELDS = union(GOVERNANCE_FIELDS, "id", "name");
    static final Set<String> TEAM_FIELDS = union(GOVERNANCE_FIELDS, "id", "customer", "name");
    static final Set<String> KEY_FIELDS = union(GOVERNANCE_FIELDS, "id", "team", "sha256", "description", "revoked");
    static final Set<String> BUDGET_FIELDS = Set.of("amount_usd", "period", "model");
    static final Set<String> LIMIT_FIELDS = limitFields();
    static final Set<String> PRICING_FIELDS = Set.of("model", "input", "output", "cached_input", "cache_write_5m",
            "cache_write_1h", "web_search");
    /** USD per thousand hosted web searches when a price row does not say: OpenAI's and Anthropic's list price. */
    static final BigDecimal DEFAULT_WEB_SEARCH = BigDecimal.TEN;
    static final Set<String> ADMIN_FIELDS = Set.of("id", "sha256", "role");

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]*");

    /** Prices for well-known models, bundled; a policy's {@code pricing:} entries override them by model. */
    static final List<Pricing> DEFAULT_PRICING = defaultPricing();

    private PolicyLoader() {
    }

    public static PolicySnapshot loadDirectory(Path dir) throws PolicyException {
        return load(readDirectory(dir));
    }

    /** The policy files under a directory (*.yaml, *.yml, hidden ones skipped) by relative path. */
    public static Map<String, byte[]> readDirectory(Path dir) throws PolicyException {
        if (!Files.isDirectory(dir)) {
            throw PolicyException.of(dir.toString(), "not a directory of policy files");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> isPolicyFile(dir.relativize(p).toString()))
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw PolicyException.of(dir.toString(), "cannot list files: " + e.getMessage());
        }
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (Path file : files) {
            try {
                contents.put(dir.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
            } catch (IOException e) {
                throw PolicyException.of(file.toString(), "cannot read: " + e.getMessage());
            }
        }
        return contents;
    }

    /** A YAML file not under a hidden directory (.github holds CI files, not policy). */
    public static boolean isPolicyFile(String relative) {
        if (!(relative.endsWith(".yaml") || relative.endsWith(".yml"))) {
            return false;
        }
        return Arrays.stream(relative.split("[/\\\\]")).noneMatch(part -> part.startsWith("."));
    }

    /** Loads from file name -> content; the version is a hash of the content. */
    public static PolicySnapshot load(Map<String, byte[]> files) throws PolicyException {
        return load(files, version(files));
    }

    /** Loads from file name -> content (a directory, a Git tree, a test) under the given version. */
    public static PolicySnapshot load(Map<String, byte[]> files, String version) throws PolicyException {
        return new PolicySnapshot(parse(files), version, DEFAULT_PRICING);
    }

    /** Parses and checks without indexing. */
    public static Policy parse(Map<String, byte[]> files) throws PolicyException {
        List<Problem> problems = new ArrayList<>();
        Collector all = new Collector();
        for (var file : new TreeMap<>(files).entrySet()) {
            problems.addAll(Secrets.scan(file.getKey(), file.getValue()));
            YamlDoc doc = YamlDoc.parse(file.getKey(), file.getValue(), problems);
            if (doc == null || doc.root.isNull() || doc.root.isMissingNode()) {
                continue;
            }
            FileReader reader = new FileReader(doc, problems);
            if (!doc.root.isObject()) {
                reader.problem("", "expected a mapping with any of " + sorted(TOP_FIELDS) + " at the top");
                continue;
            }
            reader.read(all);
        }
        all.crossCheck(problems);
        if (!problems.isEmpty()) {
            problems.sort(Comparator.comparing((Problem p) -> p.pos().file()).thenComparingInt(p -> p.pos().line())
                    .thenComparingInt(p -> p.pos().column()));
            throw new PolicyException(problems);
        }
        return all.policy();
    }

    static String version(Map<String, byte[]> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            new TreeMap<>(files).forEach((name, bytes) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(bytes);
            });
            return "dir-" + HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Pricing> defaultPricing() {
        try (InputStream in = PolicyLoader.class.getResourceAsStream("default-pricing.yaml")) {
            if (in == null) {
                throw new IllegalStateException("default-pricing.yaml missing from the policy-model jar");
            }
            return parse(Map.of("(bundled) default-pricing.yaml", in.readAllBytes())).pricing();
        } catch (IOException | PolicyException e) {
            throw new IllegalStateException("the bundled price table does not load: " + e.getMessage(), e);
        }
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> all = new java.util.HashSet<>(base);
        all.addAll(List.of(more));
        return Set.copyOf(all);
    }

    private static Set<String> limitFields() {
        Set<String> all = new java.util.HashSet<>();
        for (RateLimit.Metric m : RateLimit.Metric.values()) {
            for (RateLimit.Window w : RateLimit.Window.values()) {
                all.add(new RateLimit(m, w, 1).field());
            }
        }
        return Set.copyOf(all);
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }

    /** Where a declaration came from, so cross-file checks can point at it. */
    private record At<T>(T value, YamlDoc doc, String path) {

        Problem problem(String field, String message) {
            return new Problem(doc.at(field.isEmpty() ? path : path + "." + field), message);
        }

        SourcePos pos() {
            return doc.at(path);
        }
    }

    /** Declarations from every file, checked against each other once all are read. */
    private static final class Collector {
        final List<At<Provider>> providers = new ArrayList<>();
        final List<At<Model>> models = new ArrayList<>();
        final List<At<Customer>> customers = new ArrayList<>();
        final List<At<Team>> teams = new ArrayList<>();
        final List<At<VirtualKey>> keys = new ArrayList<>();
        final List<At<Pricing>> pricing = new ArrayList<>();
        final List<At<Admin>> admins = new ArrayList<>();

        Policy policy() {
            return new Policy(values(providers), values(models), values(customers), values(teams), values(keys),
                    values(pricing), values(admins));
        }

        private static <T> List<T> values(List<At<T>> list) {
            return list.stream().map(At::value).toList();
        }

        void crossCheck(List<Problem> problems) {
            Map<String, At<Provider>> providerIds = unique("provider", providers, Provider::id, problems);
            Map<String, At<Customer>> customerIds = unique("customer", customers, Customer::id, problems);
            Map<String, At<Team>> teamIds = unique("team", teams, Team::id, problems);
            unique("key", keys, VirtualKey::id, problems);
            unique("admin", admins, Admin::id, problems);
            unique("pricing for model", pricing, Pricing::model, problems);

            Map<String, At<Model>> names = new HashMap<>();
            for (At<Model> m : models) {
                List<String> all = new ArrayList<>();
                all.add(m.value().name());
                all.addAll(m.value().aliases());
                for (int i = 0; i < all.size(); i++) {
                    At<Model> first = names.putIfAbsent(all.get(i), m);
                    if (first != null) {
                        problems.add(m.problem(i == 0 ? "name" : "aliases[" + (i - 1) + "]", "model name or alias '"
                                + all.get(i) + "' is already used by model '" + first.value().name() + "' at " + first.pos()
                                + "; each name must lead to one model"));
                    }
                }
                checkTargets(m, "targets", m.value().targets(), providerIds, problems);
                checkTargets(m, "fallbacks", m.value().fallbacks(), providerIds, problems);
            }
            for (At<Team> t : teams) {
                if (!customerIds.containsKey(t.value().customer())) {
                    problems.add(t.problem("customer", "team '" + t.value().id() + "' belongs to customer '"
                            + t.value().customer() + "', which is not declared" + known(customerIds.keySet())));
                }
            }
            Map<String, At<?>> hashes = new HashMap<>();
            for (At<VirtualKey> k : keys) {
                if (!teamIds.containsKey(k.value().team())) {
                    problems.add(k.problem("team", "key '" + k.value().id() + "' belongs to team '" + k.value().team()
                            + "', which is not declared" + known(teamIds.keySet())));
                }
                sameHash(k, k.value().sha256(), "key '" + k.value().id() + "'", hashes, problems);
            }
            for (At<Admin> a : admins) {
                sameHash(a, a.value().sha256(), "admin '" + a.value().id() + "'", hashes, problems);
            }
        }

        private static void sameHash(At<?> at, String hash, String what, Map<String, At<?>> hashes, List<Problem> problems) {
            At<?> first = hashes.putIfAbsent(hash, at);
            if (first != null) {
                problems.add(at.problem("sha256", what + " has the same sha256 as the entry at " + first.pos()
                        + "; two entries cannot share one secret: make a new key with `tollgate keys new`"));
            }
        }

        private static void checkTargets(At<Model> m, String field, List<ModelTarget> targets,
                                         Map<String, At<Provider>> providers, List<Problem> problems) {
            for (int i = 0; i < targets.size(); i++) {
                String provider = targets.get(i).provider();
                if (!providers.containsKey(provider)) {
                    problems.add(m.problem(field + "[" + i + "].provider", "model '" + m.value().name()
                            + "': provider '" + provider + "' is not declared" + known(providers.keySet())));
                }
            }
        }

        private static String known(Set<String> ids) {
            List<String> sorted = ids.stream().sorted().toList();
            return sorted.isEmpty() ? " (none are declared yet)" : " (declared: " + String.join(", ", sorted.size() > 12
                    ? sorted.subList(0, 12) : sorted) + (sorted.size() > 12 ? ", ..." : "") + ")";
        }

        private static <T> Map<String, At<T>> unique(String what, List<At<T>> list, java.util.function.Function<T, String> id,
                                                      List<Problem> problems) {
            Map<String, At<T>> seen = new HashMap<>();
            for (At<T> item : list) {
                At<T> first = seen.putIfAbsent(id.apply(item.value()), item);
                if (first != null) {
                    problems.add(item.problem(what.startsWith("pricing") ? "model" : "id", what + " '" + id.apply(item.value())
                            + "' is declared twice (first at " + first.pos() + "); ids must be unique: rename or remove one"));
                }
            }
            return seen;
        }
    }

    /** Reads one file, collecting problems instead of stopping at the first. */
    private static final class FileReader {
        private final YamlDoc doc;
        private final List<Problem> problems;

        FileReader(YamlDoc doc, List<Problem> problems) {
            this.doc = doc;
            this.problems = problems;
        }

        void problem(String path, String message) {
            problems.add(new Problem(doc.at(path), message));
        }

        void read(Collector into) {
            JsonNode root = doc.root;
            fields(root, "", TOP_FIELDS);
            each(root, "", "providers", (n, p) -> provider(n, p).ifPresent(v -> into.providers.add(new At<>(v, doc, p))));
            each(root, "", "models", (n, p) -> model(n, p).ifPresent(v -> into.models.add(new At<>(v, doc, p))));
            each(root, "", "customers", (n, p) -> customer(n, p).ifPresent(v -> into.customers.add(new At<>(v, doc, p))));
            each(root, "", "teams", (n, p) -> team(n, p).ifPresent(v -> into.teams.add(new At<>(v, doc, p))));
            each(root, "", "keys", (n, p) -> key(n, p).ifPresent(v -> into.keys.add(new At<>(v, doc, p))));
            each(root, "", "pricing", (n, p) -> pricing(n, p).ifPresent(v -> into.pricing.add(new At<>(v, doc, p))));
            each(root, "", "admins", (n, p) -> admin(n, p).ifPresent(v -> into.admins.add(new At<>(v, doc, p))));
        }

        // ---- generic field readers -------------------------------------------------------------

        private static String join(String path, String field) {
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
                            + String.join(", ", sorted(allowed)) + ")"));
                }
            }
            return ok;
        }

        private static String closest(String name, Set<String> allowed) {
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
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    problem(join(join(path, field), e.getKey()), "expected text, found " + describe(e.getValue()));
                } else {
                    map.put(e.getKey(), e.getValue().asText());
                }
            });
            return map;
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

        private static String describe(JsonNode node) {
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

        // ---- sections -------------------------------------------------------------------------

        Optional<Provider> provider(JsonNode node, String path) {
            fields(node, path, PROVIDER_FIELDS);
            String id = id(node, path, "id");
            String kindName = text(node, path, "kind", true);
            ProviderKind kind = kindName == null ? null : ProviderKind.byId(kindName).orElse(null);
            String baseUrl = text(node, path, "base_url", kind != ProviderKind.BEDROCK && kind != ProviderKind.VERTEX);
            if (kindName != null && kind == null) {
                problem(join(path, "kind"), "unknown provider kind '" + kindName + "' (known: "
                        + String.join(", ", Stream.of(ProviderKind.values()).map(ProviderKind::id).toList()) + ")");
            }
            URI uri = null;
            if (baseUrl != null) {
                try {
                    uri = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
                    if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
                        problem(join(path, "base_url"), "expected an http(s) URL such as https://api.openai.com/v1");
                        uri = null;
                    }
                } catch (IllegalArgumentException e) {
                    problem(join(path, "base_url"), "not a URL (" + e.getMessage() + "); expected e.g. https://api.openai.com/v1");
                }
            }
            List<Credential> credentials = new ArrayList<>();
            String single = text(node, path, "credential", false);
            if (single != null) {
                credential(single, 1, join(path, "credential"), credentials);
            }
            JsonNode list = node.get("credentials");
            if (list != null && !list.isNull()) {
                if (!list.isArray()) {
                    problem(join(path, "credentials"), "'credentials' must be a list of env:NAME, file:PATH or {ref, weight}");
                } else {
                    for (int i = 0; i < list.size(); i++) {
                        String where = join(path, "credentials") + "[" + i + "]";
                        JsonNode c = list.get(i);
                        if (c.isTextual()) {
                            credential(c.asText(), 1, where, credentials);
                        } else if (c.isObject()) {
                            fields(c, where, Set.of("ref", "weight"));
                            String ref = text(c, where, "ref", true);
                            Long weight = whole(c, where, "weight", 1, 1L, " (a share of this provider's traffic)");
                            if (ref != null && weight != null) {
                                credential(ref, weight.intValue(), where, credentials);
                            }
                        } else {
                            problem(where, "expected env:NAME, file:PATH or {ref: env:NAME, weight: 2}");
                        }
                    }
                }
            }
            Map<String, String> headers = stringMap(node, path, "headers");
            Map<String, String> settings = stringMap(node, path, "settings");
            if (kind == ProviderKind.BEDROCK) {
                uri = BedrockSettings.check(settings, uri, credentials, baseUrl == null, (field, message) -> problem(join(path, field), message));
            }
            Provider.Timeouts timeouts = timeouts(object(node, path, "timeouts"), join(path, "timeouts"));
            if (kind == ProviderKind.VERTEX) {
                uri = vertex(node, path, settings, uri, credentials);
            }
            if (id == null || kind == null || uri == null) {
                return Optional.empty();
            }
            Provider.Breaker breaker = breaker(object(node, path, "circuit_breaker"), join(path, "circuit_breaker"));
            return Optional.of(new Provider(id, kind, uri, credentials, headers, settings, timeouts, breaker));
        }

        /** Checks a vertex provider's settings and key; its base URL defaults from the location. */
        private URI vertex(JsonNode node, String path, Map<String, String> settings, URI declared, List<Credential> credentials) {
            String where = node.has("settings") ? join(path, "settings") : path;
            String project = settings.get(Vertex.PROJECT);
            String location = settings.get(Vertex.LOCATION);
            String publisher = settings.get(Vertex.PUBLISHER);
            if (project == null) {
                problem(where, "a vertex provider needs settings.project, the Google Cloud project id (e.g. my-project-123)");
            } else if (!Vertex.PROJECT_ID.matcher(project).matches()) {
                problem(join(where, Vertex.PROJECT), "'" + project + "' is not a Google Cloud project id (lower-case letters, digits and '-', e.g. my-project-123)");
            }
            boolean locationOk = location != null && Vertex.LOCATION_ID.matcher(location).matches();
            if (location == null) {
                problem(where, "a vertex provider needs settings.location, the Vertex AI region (e.g. us-east5, europe-west1) or global");
            } else if (!locationOk) {
                problem(join(where, Vertex.LOCATION), "'" + location + "' is not a Vertex AI location (e.g. us-east5, europe-west1 or global)");
            }
            if (publisher != null && Vertex.Publisher.byId(publisher).isEmpty()) {
                problem(join(where, Vertex.PUBLISHER), "settings.publisher must be google or anthropic (or left out: claude* models are "
                        + "Anthropic's, the rest Google's), found '" + publisher + "'");
            }
            if (credentials.isEmpty() && !node.has("credential") && !node.has("credentials")) {
                problem(path, "a vertex provider needs credential: file:PATH (or env:NAME) naming a service-account JSON key; "
                        + "the key itself never goes in the policy");
            }
            if (declared != null && declared.getRawPath() != null && !declared.getRawPath().isEmpty()) {
                problem(join(path, "base_url"), "a vertex base_url is the host only (e.g. https://us-east5-aiplatform.googleapis.com); "
                        + "the gateway adds /v1/projects/...: drop '" + declared.getRawPath() + "'");
                return null;
            }
            if (declared != null) {
                return declared;
            }
            return locationOk ? Vertex.defaultBaseUrl(location) : null;
        }

        private void credential(String ref, int weight, String where, List<Credential> out) {
            try {
                out.add(new Credential(SecretRef.parse(ref), weight));
            } catch (IllegalArgumentException e) {
                problem(where, e.getMessage());
            }
        }

        private Provider.Timeouts timeouts(JsonNode node, String path) {
            Provider.Timeouts d = Provider.Timeouts.DEFAULT;
            if (node == null) {
                return d;
            }
            fields(node, path, TIMEOUT_FIELDS);
            return new Provider.Timeouts(seconds(node, path, "connect_seconds", d.connect()),
                    seconds(node, path, "first_byte_seconds", d.firstByte()),
                    seconds(node, path, "idle_seconds", d.idle()),
                    seconds(node, path, "total_seconds", d.total()));
        }

        private Provider.Breaker breaker(JsonNode node, String path) {
            Provider.Breaker d = Provider.Breaker.DEFAULT;
            if (node == null) {
                return d;
            }
            fields(node, path, BREAKER_FIELDS);
            Long failures = whole(node, path, "failures", 1, (long) d.failures(), " (failures within the window that open the circuit)");
            Long minCalls = whole(node, path, "min_calls", 1, (long) d.minCalls(), " (calls within the window before the ratio counts)");
            BigDecimal ratio = number(node, path, "failure_ratio", false);
            if (ratio != null && (ratio.signum() <= 0 || ratio.compareTo(BigDecimal.ONE) > 0)) {
                problem(join(path, "failure_ratio"), "'failure_ratio' must be above 0 and at most 1, found " + ratio.toPlainString());
                ratio = null;
            }
            return new Provider.Breaker(failures == null ? d.failures() : failures.intValue(),
                    ratio == null ? d.failureRatio() : ratio.doubleValue(),
                    minCalls == null ? d.minCalls() : minCalls.intValue(),
                    seconds(node, path, "window_seconds", d.window()),
                    seconds(node, path, "open_seconds", d.open()));
        }

        private Duration seconds(JsonNode node, String path, String field, Duration fallback) {
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

        Optional<Model> model(JsonNode node, String path) {
            fields(node, path, MODEL_FIELDS);
            String name = text(node, path, "name", true);
            List<String> aliases = strings(node, path, "aliases");
            List<ModelTarget> targets = targets(node, path, "targets");
            List<ModelTarget> fallbacks = targets(node, path, "fallbacks");
            if (targets.isEmpty() && node.has("targets") == false) {
                problem(path, "model '" + name + "' needs 'targets': at least one {provider, model}");
            }
            Retry retry = Retry.DEFAULT;
            JsonNode r = object(node, path, "retry");
            if (r != null) {
                String where = join(path, "retry");
                fields(r, where, RETRY_FIELDS);
                Long attempts = whole(r, where, "attempts", 1, (long) Retry.DEFAULT.attempts(), " (1 means no retry)");
                Long backoff = whole(r, where, "backoff_ms", 0, Retry.DEFAULT.backoff().toMillis(), "");
                Long maxBackoff = whole(r, where, "max_backoff_ms", 0, Retry.DEFAULT.maxBackoff().toMillis(), "");
                BigDecimal cap = number(r, where, "retry_after_cap_seconds", false);
                if (cap != null && cap.signum() < 0) {
                    problem(join(where, "retry_after_cap_seconds"), "'retry_after_cap_seconds' must be 0 or more, found " + cap.toPlainString());
                    cap = null;
                }
                Duration budget = seconds(r, where, "budget_seconds", Retry.DEFAULT.budget());
                if (attempts != null && backoff != null && maxBackoff != null) {
                    retry = new Retry(attempts.intValue(), Duration.ofMillis(backoff), Duration.ofMillis(Math.max(backoff, maxBackoff)),
                            cap == null ? Retry.DEFAULT.retryAfterCap() : Duration.ofMillis(cap.multiply(BigDecimal.valueOf(1000)).longValue()),
                            budget);
                }
            }
            return name == null ? Optional.empty() : Optional.of(new Model(name, aliases, targets, fallbacks, retry));
        }

        private List<ModelTarget> targets(JsonNode node, String path, String field) {
            List<ModelTarget> out = new ArrayList<>();
            each(node, path, field, (t, where) -> {
                fields(t, where, TARGET_FIELDS);
                String provider = text(t, where, "provider", true);
                String model = text(t, where, "model", true);
                Long weight = whole(t, where, "weight", 1, 1L, " (weights are relative shares of traffic)");
                if (provider != null && model != null && weight != null) {
                    out.add(new ModelTarget(provider, model, weight.intValue()));
                }
            });
            if (node.has(field) && node.get(field).isArray() && node.get(field).isEmpty() && field.equals("targets")) {
                problem(join(path, field), "a model needs at least one target {provider, model}");
            }
            return out;
        }

        Governance governance(JsonNode node, String path) {
            List<Budget> budgets = new ArrayList<>();
            Map<String, String> seenPeriods = new HashMap<>();
            each(node, path, "budgets", (b, where) -> {
                fields(b, where, BUDGET_FIELDS);
                BigDecimal usd = number(b, where, "amount_usd", true);
                String periodName = text(b, where, "period", true);
                String model = b.has("model") ? text(b, where, "model", false) : null;
                Budget.Period period = periodName == null ? null : Budget.Period.byId(periodName).orElse(null);
                if (periodName != null && period == null) {
                    problem(join(where, "period"), "unknown budget period '" + periodName
                            + "' (use daily, weekly, monthly or total; periods are calendar-aligned in UTC)");
                }
                if (usd != null && usd.signum() <= 0) {
                    problem(join(where, "amount_usd"), "a budget of $" + usd.toPlainString()
                            + " can never be right: use an amount above 0 (to block use, deny_models: [\"*\"])");
                    usd = null;
                }
                if (period != null && seenPeriods.putIfAbsent(period.id() + "/" + model, where) != null) {
                    problem(join(where, "period"), "two " + period.id() + " budgets" + (model == null ? "" : " for model '" + model + "'")
                            + " at the same level; keep one");
                    period = null;
                }
                if (usd != null && period != null) {
                    budgets.add(new Budget(usd, period, Optional.ofNullable(model)));
                }
            });
            List<RateLimit> limits = new ArrayList<>();
            JsonNode l = object(node, path, "limits");
            if (l != null) {
                String where = join(path, "limits");
                fields(l, where, LIMIT_FIELDS);
                for (RateLimit.Metric m : RateLimit.Metric.values()) {
                    for (RateLimit.Window w : RateLimit.Window.values()) {
                        String field = new RateLimit(m, w, 1).field();
                        if (l.has(field)) {
                            Long amount = LimiterBounds.holds(w, field, l.get(field), msg -> problem(join(where, field), msg))
                                    ? whole(l, where, field, 1, null, " (a limit of 0 blocks everything; use deny_models to block)") : null;
                            if (amount != null) {
                                limits.add(new RateLimit(m, w, amount));
                            }
                        }
                    }
                }
            }
            ModelAccess access = new ModelAccess(strings(node, path, "allow_models"), strings(node, path, "deny_models"));
            Long concurrent = whole(node, path, "max_concurrent", 1, null, " (requests in flight at once)");
            Optional<Instant> expires = Optional.empty();
            if (node.has("expires") && !node.get("expires").isNull()) {
                JsonNode e = node.get("expires");
                String text = e.asText();
                try {
                    expires = Optional.of(text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant()
                            : OffsetDateTime.parse(text).toInstant());
                } catch (DateTimeParseException ex) {
                    problem(join(path, "expires"), "'expires' must be a date (2027-01-31, midnight UTC) or a time with offset "
                            + "(2027-01-31T18:00:00Z), found '" + text + "'");
                }
            }
            Optional<Boolean> capture = Optional.empty();
            if (node.has("capture_content")) {
                if (node.get("capture_content").isBoolean()) {
                    capture = Optional.of(node.get("capture_content").asBoolean());
                } else {
                    problem(join(path, "capture_content"), "'capture_content' must be true (keep prompts and answers in the "
                            + "request log) or false");
                }
            }
            return new Governance(budgets, limits, access,
                    concurrent == null ? OptionalInt.empty() : OptionalInt.of(concurrent.intValue()), expires,
                    stringMap(node, path, "labels"), capture);
        }

        Optional<Customer> customer(JsonNode node, String path) {
            fields(node, path, CUSTOMER_FIELDS);
            String id = id(node, path, "id");
            String name = node.has("name") ? text(node, path, "name", false) : id;
            Governance g = governance(node, path);
            return id == null ? Optional.empty() : Optional.of(new Customer(id, name == null ? id : name, g));
        }

        Optional<Team> team(JsonNode node, String path) {
            fields(node, path, TEAM_FIELDS);
            String id = id(node, path, "id");
            String customer = text(node, path, "customer", true);
            String name = node.has("name") ? text(node, path, "name", false) : id;
            Governance g = governance(node, path);
            return id == null || customer == null ? Optional.empty()
                    : Optional.of(new Team(id, customer, name == null ? id : name, g));
        }

        Optional<VirtualKey> key(JsonNode node, String path) {
            fields(node, path, KEY_FIELDS);
            String id = id(node, path, "id");
            String team = text(node, path, "team", true);
            String hash = hash(node, path);
            String description = node.has("description") ? text(node, path, "description", false) : null;
            boolean revoked = node.path("revoked").asBoolean(false);
            if (node.has("revoked") && !node.get("revoked").isBoolean()) {
                problem(join(path, "revoked"), "'revoked' must be true or false");
            }
            Governance g = governance(node, path);
            return id == null || team == null || hash == null ? Optional.empty()
                    : Optional.of(new VirtualKey(id, team, hash, description == null ? "" : description, g, revoked));
        }

        private String hash(JsonNode node, String path) {
            String hash = text(node, path, "sha256", true);
            if (hash != null && !SHA256.matcher(hash).matches()) {
                problem(join(path, "sha256"), "'sha256' must be 64 lower-case hex characters: the SHA-256 of the secret, "
                        + "never the secret itself (`tollgate keys new` prints both; commit only the hash)");
                return null;
            }
            return hash;
        }

        Optional<Pricing> pricing(JsonNode node, String path) {
            fields(node, path, PRICING_FIELDS);
            String model = text(node, path, "model", true);
            BigDecimal input = price(node, path, "input", null);
            BigDecimal output = price(node, path, "output", null);
            BigDecimal cached = price(node, path, "cached_input", input);
            // Anthropic's multipliers are the usual defaults: 5-minute writes 1.25x input, 1-hour 2x.
            BigDecimal w5 = price(node, path, "cache_write_5m", input == null ? null : input.multiply(new BigDecimal("1.25")));
            BigDecimal w1 = price(node, path, "cache_write_1h", input == null ? null : input.multiply(BigDecimal.TWO));
            BigDecimal search = price(node, path, "web_search", DEFAULT_WEB_SEARCH);
            if (model == null || input == null || output == null || cached == null || w5 == null || w1 == null || search == null) {
                return Optional.empty();
            }
            return Optional.of(new Pricing(model, input, output, cached, w5, w1, search));
        }

        private BigDecimal price(JsonNode node, String path, String field, BigDecimal fallback) {
            BigDecimal n = number(node, path, field, fallback == null && Set.of("input", "output").contains(field));
            if (n == null) {
                return node.has(field) ? null : fallback;
            }
            if (n.signum() < 0) {
                problem(join(path, field), "a price cannot be negative (USD per million tokens), found " + n.toPlainString());
                return null;
            }
            return n;
        }

        Optional<Admin> admin(JsonNode node, String path) {
            fields(node, path, ADMIN_FIELDS);
            String id = id(node, path, "id");
            String hash = hash(node, path);
            String roleName = text(node, path, "role", true);
            Admin.Role role = null;
            if (roleName != null) {
                role = Arrays.stream(Admin.Role.values()).filter(r -> r.name().equalsIgnoreCase(roleName)).findFirst().orElse(null);
                if (role == null) {
                    problem(join(path, "role"), "unknown role '" + roleName + "' (use viewer or operator)");
                }
            }
            return id == null || hash == null || role == null ? Optional.empty() : Optional.of(new Admin(id, hash, role));
        }
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
