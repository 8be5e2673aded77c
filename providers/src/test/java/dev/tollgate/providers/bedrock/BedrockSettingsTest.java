package dev.tollgate.providers.bedrock;

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

/** A bedrock provider: region, default endpoint, AWS credentials only by reference. */
class BedrockSettingsTest {

    private static Map<String, byte[]> files(String name, String content) {
        return Map.of(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private static PolicySnapshot load(String providers) throws PolicyException {
        return PolicyLoader.load(files("p.yaml", providers));
    }

    private static List<String> problems(String providers) {
        return assertThrows(PolicyException.class, () -> load(providers)).problems();
    }

    @Test
    void theBaseUrlDefaultsToTheRegionsRuntimeEndpoint() throws Exception {
        Provider p = load("""
                providers:
                  - id: bedrock
                    kind: bedrock
                    credential: env:AWS_SECRET_ACCESS_KEY
                    settings: {region: eu-central-1, access-key-id: env:AWS_ACCESS_KEY_ID, session-token: env:AWS_SESSION_TOKEN}
                """).policy().providers().getFirst();
        assertEquals(BedrockAdapter.KIND, p.kind());
        assertEquals(URI.create("https://bedrock-runtime.eu-central-1.amazonaws.com"), p.baseUrl());
        assertEquals("env:AWS_SECRET_ACCESS_KEY", p.credentials().getFirst().ref().toString());
    }

    @Test
    void aDeclaredBaseUrlWins() throws Exception {
        Provider p = load("""
                providers:
                  - id: bedrock
                    kind: bedrock
                    base_url: http://127.0.0.1:9999
                    credential: env:AWS_SECRET_ACCESS_KEY
                    settings: {region: us-east-1, access-key-id: env:AWS_ACCESS_KEY_ID}
                """).policy().providers().getFirst();
        assertEquals(URI.create("http://127.0.0.1:9999"), p.baseUrl());
    }

    @Test
    void missingRegionKeyIdAndCredentialAreEachReportedWhereTheyBelong() {
        List<String> problems = problems("""
                providers:
                  - id: bedrock
                    kind: bedrock
                    settings: {foo: bar}
                """);
        // and 'foo', which no bedrock provider takes, is refused with the settings it does take
        assertEquals(4, problems.size(), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("p.yaml:4:") && p.contains("unknown setting 'foo' for kind bedrock")
                && p.contains("region, access-key-id, session-token, prompt-cache-ttl, reasoning, max-output-tokens")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("p.yaml:4:") && p.contains("settings.region")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.contains("access-key-id")), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("p.yaml:3:") && p.contains("exactly one credential")), String.join("\n", problems));
    }

    @Test
    void aRawKeyIdOrBadRegionIsRefusedAtItsValue() {
        List<String> problems = problems("""
                providers:
                  - id: bedrock
                    kind: bedrock
                    credential: env:AWS_SECRET_ACCESS_KEY
                    settings:
                      region: Frankfurt
                      access-key-id: my-key-id
                """);
        assertEquals(2, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith("p.yaml:6:15") || problems.get(1).startsWith("p.yaml:6:15"), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("p.yaml:7:") && p.contains("env:")), String.join("\n", problems));
    }
}
