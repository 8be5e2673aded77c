package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** {@code providers:} entries: kind, base URL, credentials by reference, timeouts, circuit breaker, kind settings. */
final class ProviderSection {

    static final Set<String> FIELDS = Set.of("id", "kind", "base_url", "credential", "credentials",
            "headers", "settings", "timeouts", "circuit_breaker");
    static final Set<String> TIMEOUT_FIELDS = Set.of("connect_seconds", "first_byte_seconds", "idle_seconds", "total_seconds");
    static final Set<String> BREAKER_FIELDS = Set.of("failures", "failure_ratio", "min_calls", "window_seconds", "open_seconds");

    private final YamlFields f;

    ProviderSection(YamlFields f) {
        this.f = f;
    }

    Optional<Provider> read(JsonNode node, String path) {
        f.fields(node, path, FIELDS);
        String id = f.id(node, path, "id");
        String kindName = f.text(node, path, "kind", true);
        ProviderKind kind = kindName == null ? null : ProviderKind.byId(kindName).orElse(null);
        String baseUrl = f.text(node, path, "base_url", kind != ProviderKind.BEDROCK && kind != ProviderKind.VERTEX);
        if (kindName != null && kind == null) {
            f.problem(join(path, "kind"), "unknown provider kind '" + kindName + "' (known: "
                    + String.join(", ", Stream.of(ProviderKind.values()).map(ProviderKind::id).toList()) + ")");
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
        Map<String, String> settings = f.stringMap(node, path, "settings");
        if (kind == ProviderKind.BEDROCK) {
            uri = BedrockSettings.check(settings, uri, credentials, baseUrl == null, (field, message) -> f.problem(join(path, field), message));
        }
        Provider.Timeouts timeouts = timeouts(f.object(node, path, "timeouts"), join(path, "timeouts"));
        if (kind == ProviderKind.VERTEX) {
            uri = vertex(node, path, settings, uri, credentials);
        }
        if (id == null || kind == null || uri == null) {
            return Optional.empty();
        }
        Provider.Breaker breaker = breaker(f.object(node, path, "circuit_breaker"), join(path, "circuit_breaker"));
        return Optional.of(new Provider(id, kind, uri, credentials, headers, settings, timeouts, breaker));
    }

    /** Checks a vertex provider's settings and key; its base URL defaults from the location. */
    private URI vertex(JsonNode node, String path, Map<String, String> settings, URI declared, List<Credential> credentials) {
        String where = node.has("settings") ? join(path, "settings") : path;
        String project = settings.get(Vertex.PROJECT);
        String location = settings.get(Vertex.LOCATION);
        String publisher = settings.get(Vertex.PUBLISHER);
        if (project == null) {
            f.problem(where, "a vertex provider needs settings.project, the Google Cloud project id (e.g. my-project-123)");
        } else if (!Vertex.PROJECT_ID.matcher(project).matches()) {
            f.problem(join(where, Vertex.PROJECT), "'" + project + "' is not a Google Cloud project id (lower-case letters, digits and '-', e.g. my-project-123)");
        }
        boolean locationOk = location != null && Vertex.LOCATION_ID.matcher(location).matches();
        if (location == null) {
            f.problem(where, "a vertex provider needs settings.location, the Vertex AI region (e.g. us-east5, europe-west1) or global");
        } else if (!locationOk) {
            f.problem(join(where, Vertex.LOCATION), "'" + location + "' is not a Vertex AI location (e.g. us-east5, europe-west1 or global)");
        }
        if (publisher != null && Vertex.Publisher.byId(publisher).isEmpty()) {
            f.problem(join(where, Vertex.PUBLISHER), "settings.publisher must be google or anthropic (or left out: claude* models are "
                    + "Anthropic's, the rest Google's), found '" + publisher + "'");
        }
        if (credentials.isEmpty() && !node.has("credential") && !node.has("credentials")) {
            f.problem(path, "a vertex provider needs credential: file:PATH (or env:NAME) naming a service-account JSON key; "
                    + "the key itself never goes in the policy");
        }
        if (declared != null && declared.getRawPath() != null && !declared.getRawPath().isEmpty()) {
            f.problem(join(path, "base_url"), "a vertex base_url is the host only (e.g. https://us-east5-aiplatform.googleapis.com); "
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
}
