package dev.tollgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * Reads a tree of policy YAML files into a {@link PolicySnapshot}. Any file may hold any of the
 * top-level sections, so a team keeps one file per team, customer or provider. One run reports every
 * problem it can find: each file's syntax and fields (one section reader per top-level section), then
 * the checks that need all files ({@link CrossChecks}) over every file that parsed. Each problem names
 * file, line and column, what is wrong and how to fix it.
 */
public final class PolicyLoader {

    /** Editors pick the schema up from this comment (yaml-language-server); the loader ignores it. */
    public static final String SCHEMA_FILE = "tollgate-policy.schema.json";

    static final Set<String> TOP_FIELDS = Set.of("providers", "models", "customers", "teams", "keys", "pricing", "admins", "sso");
    // The sections' fields, named here for the schema test.
    static final Set<String> PROVIDER_FIELDS = ProviderSection.FIELDS;
    static final Set<String> MODEL_FIELDS = ModelSection.FIELDS;
    static final Set<String> CUSTOMER_FIELDS = GovernanceSection.CUSTOMER_FIELDS;
    static final Set<String> TEAM_FIELDS = GovernanceSection.TEAM_FIELDS;
    static final Set<String> KEY_FIELDS = GovernanceSection.KEY_FIELDS;
    static final Set<String> LIMIT_FIELDS = GovernanceSection.LIMIT_FIELDS;
    static final Set<String> PRICING_FIELDS = PricingSection.FIELDS;
    static final Set<String> ADMIN_FIELDS = AdminSection.FIELDS;
    static final BigDecimal DEFAULT_WEB_SEARCH = PricingSection.DEFAULT_WEB_SEARCH;

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
        Parsed parsed = read(files);
        PolicySnapshot snapshot = new PolicySnapshot(parsed.policy(), version, DEFAULT_PRICING);
        // Needs the whole indexed policy (prices, bundled ones included, and each key's chain).
        List<Problem> unpriced = UnpricedModels.check(snapshot, parsed.modelPositions());
        unpriced.addAll(DowngradeTargets.check(snapshot, parsed.downgrades()));
        if (!unpriced.isEmpty()) {
            throw new PolicyException(unpriced);
        }
        return snapshot;
    }

    /** A checked policy and where its catalog models are declared. */
    private record Parsed(Policy policy, Map<String, SourcePos> modelPositions, Map<Budget.Downgrade, SourcePos> downgrades) {
    }

    /** Parses and checks without indexing. */
    /** Parses and checks without indexing. */
    public static Policy parse(Map<String, byte[]> files) throws PolicyException {
        return read(files).policy();
    }

    private static Parsed read(Map<String, byte[]> files) throws PolicyException {
        List<Problem> problems = new ArrayList<>();
        Sections all = new Sections();
        CrossChecks cross = new CrossChecks();
        for (var file : new TreeMap<>(files).entrySet()) {
            problems.addAll(Secrets.scan(file.getKey(), file.getValue()));
            YamlDoc doc = YamlDoc.parse(file.getKey(), file.getValue(), problems);
            if (doc == null) {
                cross.unreadable.add(file.getKey());
                continue;
            }
            if (doc.root.isNull() || doc.root.isMissingNode()) {
                continue;
            }
            YamlFields fields = new YamlFields(doc, problems);
            if (!doc.root.isObject()) {
                fields.problem("", "expected a mapping with any of " + TOP_FIELDS.stream().sorted().toList() + " at the top");
                continue;
            }
            all.read(fields, cross);
        }
        cross.check(problems);
        all.checkSso(problems);
        if (!problems.isEmpty()) {
            problems.sort(Comparator.comparing((Problem p) -> p.pos().file()).thenComparingInt(p -> p.pos().line())
                    .thenComparingInt(p -> p.pos().column()));
            throw new PolicyException(problems);
        }
        Map<String, SourcePos> positions = new java.util.HashMap<>();
        for (CrossChecks.Entry m : cross.models) {
            String name = m.text("name");
            if (name != null) {
                positions.putIfAbsent(name, m.pos());
            }
        }
        return new Parsed(all.policy(), positions, all.downgrades);
    }

    /** The valid entries of every file, section by section. */
    private static final class Sections {
        final List<Provider> providers = new ArrayList<>();
        final List<Model> models = new ArrayList<>();
        final List<Customer> customers = new ArrayList<>();
        final List<Team> teams = new ArrayList<>();
        final List<VirtualKey> keys = new ArrayList<>();
        final List<Pricing> pricing = new ArrayList<>();
        final List<Admin> admins = new ArrayList<>();
        Sso sso = Sso.NONE;
        SourcePos ssoPos;
        final List<SsoSection.TeamRef> ssoTeams = new ArrayList<>();
        final Map<Budget.Downgrade, SourcePos> downgrades = new java.util.IdentityHashMap<>();

        void read(YamlFields f, CrossChecks cross) {
            f.fields(f.doc.root, "", TOP_FIELDS);
            ProviderSection provider = new ProviderSection(f);
            ModelSection model = new ModelSection(f);
            GovernanceSection governed = new GovernanceSection(f, downgrades);
            PricingSection price = new PricingSection(f);
            AdminSection admin = new AdminSection(f);
            read(f, "providers", cross.providers, provider::read, providers);
            read(f, "models", cross.models, model::read, models);
            read(f, "customers", cross.customers, governed::customer, customers);
            read(f, "teams", cross.teams, governed::team, teams);
            read(f, "keys", cross.keys, governed::key, keys);
            read(f, "pricing", cross.pricing, price::read, pricing);
            read(f, "admins", cross.admins, admin::read, admins);
            JsonNode node = f.object(f.doc.root, "", "sso");
            if (node != null) {
                if (ssoPos != null) {
                    f.problem("sso", "'sso' is already declared in " + ssoPos + "; declare it in one file only");
                } else {
                    ssoPos = f.doc.at("sso");
                    sso = new SsoSection(f).read(node, "sso", ssoTeams);
                }
            }
        }

        /** Every team a group maps to is declared (in any file). */
        void checkSso(List<Problem> problems) {
            Set<String> declared = new java.util.HashSet<>();
            teams.forEach(t -> declared.add(t.id()));
            for (SsoSection.TeamRef ref : ssoTeams) {
                if (!declared.contains(ref.team())) {
                    problems.add(new Problem(ref.pos(), "sso.groups maps to team '" + ref.team() + "', which no file declares under 'teams:'"));
                }
            }
        }

        /** Each entry of one section: kept as written for the checks across files, and read into {@code into} when valid. */
        private static <T> void read(YamlFields f, String section, List<CrossChecks.Entry> written,
                                     BiFunction<JsonNode, String, Optional<T>> reader,
                                     List<T> into) {
            f.each(f.doc.root, "", section, (n, p) -> {
                written.add(new CrossChecks.Entry(n, f.doc, p));
                reader.apply(n, p).ifPresent(into::add);
            });
        }

        Policy policy() {
            return new Policy(providers, models, customers, teams, keys, pricing, admins, sso);
        }
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
    static int distance(String a, String b) {
        return YamlFields.distance(a, b);
    }
}
