package dev.tollgate.providers.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Provider;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A vertex provider: project and location, a base URL that follows from them, a key by reference. */
class VertexPolicyTest {

    private static Map<String, byte[]> files(String name, String content) {
        return Map.of(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private static Provider load(String yaml, String id) throws PolicyException {
        return PolicyLoader.load(files("p.yaml", yaml)).provider(id).orElseThrow();
    }

    private static List<String> problems(String yaml) {
        return assertThrows(PolicyException.class, () -> PolicyLoader.load(files("p.yaml", yaml))).problems();
    }

    @Test
    void theBaseUrlFollowsTheLocationUnlessDeclared() throws Exception {
        String yaml = """
                providers:
                  - id: vertex
                    kind: vertex
                    credential: file:/run/secrets/vertex-sa.json
                    settings: {project: acme-ai, location: us-east5}
                  - id: vertex-global
                    kind: vertex
                    credential: env:VERTEX_SA_JSON
                    settings: {project: acme-ai, location: global, publisher: anthropic}
                  - id: vertex-test
                    kind: vertex
                    base_url: http://127.0.0.1:8089
                    credential: env:VERTEX_SA_JSON
                    settings: {project: acme-ai, location: us-east5}
                """;
        assertEquals(URI.create("https://us-east5-aiplatform.googleapis.com"), load(yaml, "vertex").baseUrl());
        assertEquals(URI.create("https://aiplatform.googleapis.com"), load(yaml, "vertex-global").baseUrl());
        assertEquals(URI.create("http://127.0.0.1:8089"), load(yaml, "vertex-test").baseUrl());
        assertEquals(VertexAdapter.Publisher.ANTHROPIC, VertexAdapter.publisher(load(yaml, "vertex-global"), "gemini-2.5-pro"));
        assertEquals(VertexAdapter.Publisher.ANTHROPIC, VertexAdapter.publisher(load(yaml, "vertex"), "claude-sonnet-4-5@20250929"));
        assertEquals(VertexAdapter.Publisher.GOOGLE, VertexAdapter.publisher(load(yaml, "vertex"), "gemini-2.5-pro"));
    }

    @Test
    void missingProjectLocationAndKeyAreEachReportedWhereTheyBelong() {
        List<String> problems = problems("""
                providers:
                  - id: vertex
                    kind: vertex
                    settings:
                      location: Us East
                      publisher: meta
                """);
        assertEquals(4, problems.size(), String.join("\n", problems));
        assertReported(problems, "p.yaml:5:7", "settings.project"); // where the settings mapping begins
        assertReported(problems, "p.yaml:5:17", "not a Vertex AI location");
        assertReported(problems, "p.yaml:6:18", "google or anthropic");
        assertReported(problems, "p.yaml:2:", "service-account JSON key");
    }

    private static void assertReported(List<String> problems, String at, String saying) {
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(at) && p.contains(saying)),
                "expected a problem at " + at + " saying '" + saying + "' in:\n" + String.join("\n", problems));
    }

    @Test
    void aBaseUrlIsTheHostOnly() {
        List<String> problems = problems("""
                providers:
                  - id: vertex
                    kind: vertex
                    base_url: https://us-east5-aiplatform.googleapis.com/v1
                    credential: env:VERTEX_SA_JSON
                    settings: {project: acme-ai, location: us-east5}
                """);
        assertEquals(1, problems.size(), String.join("\n", problems));
        assertReported(problems, "p.yaml:4:15", "host only");
    }

    @Test
    void theKeyIsNeverInline() {
        List<String> problems = problems("""
                providers:
                  - id: vertex
                    kind: vertex
                    credential: '{"type": "service_account", "private_key": "..."}'
                    settings: {project: acme-ai, location: us-east5}
                """);
        assertEquals(1, problems.size(), String.join("\n", problems));
        assertTrue(problems.getFirst().startsWith("p.yaml:4:") && problems.getFirst().contains("never put the secret itself"), problems.getFirst());
    }

    @Test
    void aVersionPinnedModelIsPricedAsItsFamily() throws Exception {
        PolicySnapshot snapshot = PolicyLoader.load(files("p.yaml", "providers: []\n"));
        assertEquals(snapshot.pricing("claude-sonnet-4-5"), snapshot.pricing("claude-sonnet-4-5@20250929"));
        assertTrue(snapshot.pricing("claude-sonnet-4-5@20250929").isPresent());
    }
}
