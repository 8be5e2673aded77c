package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code providers:} entries: kind, base URL, credentials by reference, timeouts, circuit breaker, kind settings. */
final class ProviderSection {

    static final Set<String> FIELDS = Set.of("id", "kind", "base_url", "credential", "credentials",
            "headers", "settings", "timeouts", "circuit_breaker", "tls");
    static final Set<String> TIMEOUT_FIELDS = Set.of("connect_seconds", "first_byte_seconds", "idle_seconds", "total_seconds");
    static final Set<String> TLS_FIELDS = Set.of("ca_bundle", "client_cert", "client_key");
    static final Set<String> BREAKER_FIELDS = Set.of("failures", "failure_ratio", "min_calls", "window_seconds", "open_seconds");

    private final YamlFields f;

    ProviderSection(YamlFields f) {
        this.f = f;
    }

    Optional<Provider> read(JsonNode node, String path) {
        f.fields(node, path, FIELDS);
        String id = f.id(node, path, "id");
        String kindName = f.text(node, path, "kind", true);
        ProviderSpec spec = kindName == null ? null : ProviderSpecs.of(kindName).orElse(null);
        String baseUrl = f.text(node, path, "base_url", spec != null && !spec.derivesBaseUrl());
        if (kindName != null && spec == null) {
            f.problem(join(path, "kind"), "unknown provider kind '" + kindName + "' (known: " + String.join(", ", ProviderSpecs.kinds()) + ")");
        }
        URI uri = null;
        if (baseUrl != null) {
            try {
                uri = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
                if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
                    f.problem(join(path, "base_url"), "expected an http(s) URL such as https://api.openai.com/v1");
                    uri = null;
                }
            } catch (IllegalArgumentException e) {
                f.problem(join(path, "base_url"), "not a URL (" + e.getMessage() + "); expected e.g. https://api.openai.com/v1");
            }
        }
        List<Credential> credentials = new ArrayList<>();
        String single = f.text(node, path, "credential", false);
        if (single != null) {
            credential(single, 1, join(path, "credential"), credentials);
        }
        JsonNode list = node.get("credentials");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                f.problem(join(path, "credentials"), "'credentials' must be a list of env:NAME, file:PATH or {ref, weight}");
            } else {
                for (int i = 0; i < list.size(); i++) {
                    String where = join(path, "credentials") + "[" + i + "]";
                    JsonNode c = list.get(i);
                    if (c.isTextual()) {
                        credential(c.asText(), 1, where, credentials);
                    } else if (c.isObject()) {
                        f.fields(c, where, Set.of("ref", "weight"));
                        String ref = f.text(c, where, "ref", true);
                        Long weight = f.whole(c, where, "weight", 1, 1L, " (a share of this provider's traffic)");
                        if (ref != null && weight != null) {
                            credential(ref, weight.intValue(), where, credentials);
                        }
                    } else {
                        f.problem(where, "expected env:NAME, file:PATH or {ref: env:NAME, weight: 2}");
                    }
                }
            }
        }
        Map<String, String> headers = f.stringMap(node, path, "headers");
        Map<String, String> settings = settings(node, path, spec);
        Provider.Timeouts timeouts = timeouts(f.object(node, path, "timeouts"), join(path, "timeouts"));
        if (spec != null) {
            uri = spec.check(new ProviderSpec.Declared(id, settings, uri, node.has("credential") || node.has("credentials"), credentials),
                    (field, message) -> f.problem(field.isEmpty() ? path : join(path, field), message));
        }
        if (id == null || spec == null || uri == null) {
            return Optional.empty();
        }
        Provider.Breaker breaker = breaker(f.object(node, path, "circuit_breaker"), join(path, "circuit_breaker"));
        Provider.Tls tls = tls(f.object(node, path, "tls"), join(path, "tls"));
        return Optional.of(new Provider(id, spec.kind(), uri, credentials, headers, settings, timeouts, breaker, tls));
    }

    /** The kind's settings: each name one the kind takes, each value of its type; other names refused, listing the valid ones. */
    private Map<String, String> settings(JsonNode node, String path, ProviderSpec spec) {
        Map<String, String> settings = f.stringMap(node, path, "settings");
        if (spec == null) {
            return settings;
        }
        Map<String, ProviderSpec.Setting> known = new LinkedHashMap<>();
        spec.settings().forEach(s -> known.put(s.name(), s));
        Map<String, String> valid = new LinkedHashMap<>();
        settings.forEach((name, value) -> {
            String where = join(join(path, "settings"), name);
            ProviderSpec.Setting setting = known.get(name);
            if (setting == null) {
                String near = YamlFields.closest(name, known.keySet());
                f.problemAtKey(where, "unknown setting '" + name + "' for kind " + spec.kind().id()
                        + (near == null ? "" : "; did you mean '" + near + "'?") + " (" + describe(spec) + ")");
                return;
            }
            // Kept even when its value is refused, so the kind's own checks do not call it missing as well.
            setting.problem(value).ifPresent(problem -> f.problem(where, problem));
            valid.put(name, value);
        });
        return valid;
    }

    /** The settings a kind takes, for an error message. */
    static String describe(ProviderSpec spec) {
        return spec.settings().isEmpty() ? "kind " + spec.kind().id() + " takes no settings"
                : "settings of kind " + spec.kind().id() + ": " + String.join(", ", spec.settings().stream().map(ProviderSpec.Setting::name).toList());
    }

    private void credential(String ref, int weight, String where, List<Credential> out) {
        try {
            out.add(new Credential(SecretRef.parse(ref), weight));
        } catch (IllegalArgumentException e) {
            f.problem(where, e.getMessage());
        }
    }

    private Provider.Timeouts timeouts(JsonNode node, String path) {
        Provider.Timeouts d = Provider.Timeouts.DEFAULT;
        if (node == null) {
            return d;
        }
        f.fields(node, path, TIMEOUT_FIELDS);
        return new Provider.Timeouts(f.seconds(node, path, "connect_seconds", d.connect()),
                f.seconds(node, path, "first_byte_seconds", d.firstByte()),
                f.seconds(node, path, "idle_seconds", d.idle()),
                f.seconds(node, path, "total_seconds", d.total()));
    }

    private Provider.Breaker breaker(JsonNode node, String path) {
        Provider.Breaker d = Provider.Breaker.DEFAULT;
        if (node == null) {
            return d;
        }
        f.fields(node, path, BREAKER_FIELDS);
        Long failures = f.whole(node, path, "failures", 1, (long) d.failures(), " (failures within the window that open the circuit)");
        Long minCalls = f.whole(node, path, "min_calls", 1, (long) d.minCalls(), " (calls within the window before the ratio counts)");
        BigDecimal ratio = f.number(node, path, "failure_ratio", false);
        if (ratio != null && (ratio.signum() <= 0 || ratio.compareTo(BigDecimal.ONE) > 0)) {
            f.problem(join(path, "failure_ratio"), "'failure_ratio' must be above 0 and at most 1, found " + ratio.toPlainString());
            ratio = null;
        }
        return new Provider.Breaker(failures == null ? d.failures() : failures.intValue(),
                ratio == null ? d.failureRatio() : ratio.doubleValue(),
                minCalls == null ? d.minCalls() : minCalls.intValue(),
                f.seconds(node, path, "window_seconds", d.window()),
                f.seconds(node, path, "open_seconds", d.open()));
    }

    /**
     * {@code tls:} files are read now, so a bundle or certificate that does not parse stops the policy
     * naming the file, instead of failing every request later. The client key is a reference, read
     * when a connection needs it (a secret file may be mounted after the policy is checked).
     */
    private Provider.Tls tls(JsonNode node, String path) {
        if (node == null) {
            return Provider.Tls.NONE;
        }
        f.fields(node, path, TLS_FIELDS);
        Optional<Path> bundle = certificates(node, path, "ca_bundle", "CA bundle");
        Optional<Path> cert = certificates(node, path, "client_cert", "client certificate");
        Optional<SecretRef> key = Optional.empty();
        String keyRef = f.text(node, path, "client_key", false);
        if (keyRef != null) {
            try {
                key = Optional.of(SecretRef.parse(keyRef));
            } catch (IllegalArgumentException e) {
                f.problem(join(path, "client_key"), "the client key " + e.getMessage().substring("a credential ".length()));
            }
        }
        if (node.has("client_cert") != node.has("client_key")) {
            f.problem(path, "mutual TLS needs both 'client_cert' (a PEM file) and 'client_key' (file:PATH or env:NAME)");
        }
        return new Provider.Tls(bundle, cert, key);
    }

    private Optional<Path> certificates(JsonNode node, String path, String field, String what) {
        String value = f.text(node, path, field, false);
        if (value == null) {
            return Optional.empty();
        }
        Path file = Path.of(value);
        if (!file.isAbsolute()) {
            f.problem(join(path, field), "the " + what + " must be an absolute path to a PEM file, found '" + value + "'");
            return Optional.empty();
        }
        String problem = PemCertificates.problem(file, what);
        if (problem != null) {
            f.problem(join(path, field), problem);
            return Optional.empty();
        }
        return Optional.of(file);
    }
}
