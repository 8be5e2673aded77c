package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyLoaderTest {

    private static final String PROVIDERS = """
            providers:
              - id: openai
                kind: openai
                base_url: https://api.openai.com/v1/
                credential: env:OPENAI_API_KEY
              - id: groq
                kind: openai-compatible
                base_url: https://api.groq.com/openai/v1
                credentials:
                  - env:GROQ_KEY_A
                  - {ref: "file:/run/secrets/groq", weight: 3}
            """;

    private static final String MODELS = """
            models:
              - name: gpt-5
                aliases: [gpt5]
                targets:
                  - {provider: openai, model: gpt-5}
                  - {provider: groq, model: openai/gpt-oss-120b}
            """;

    private static Map<String, byte[]> files(String... nameThenContent) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < nameThenContent.length; i += 2) {
            files.put(nameThenContent[i], nameThenContent[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    @Test
    void reliabilitySettings() throws Exception {
        PolicySnapshot snapshot = PolicyLoader.load(files("p.yaml", """
                providers:
                  - id: groq
                    kind: openai-compatible
                    base_url: https://api.groq.com/openai/v1
                    timeouts: {connect_seconds: 2, first_byte_seconds: 30, idle_seconds: 15, total_seconds: 600}
                    circuit_breaker: {failures: 3, failure_ratio: 0.25, min_calls: 8, window_seconds: 20, open_seconds: 10}
                models:
                  - name: m
                    targets: [{provider: groq, model: a}]
                    retry: {attempts: 3, backoff_ms: 100, max_backoff_ms: 2000, retry_after_cap_seconds: 5, budget_seconds: 45}
                  - name: plain
                    targets: [{provider: groq, model: b}]
                """));
        Route route = snapshot.resolve("m").orElseThrow();
        Provider groq = route.targets().getFirst().provider();
        assertEquals(new Provider.Timeouts(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(15),
                java.time.Duration.ofSeconds(600)), groq.timeouts());
        assertEquals(new Provider.Breaker(3, 0.25, 8, java.time.Duration.ofSeconds(20), java.time.Duration.ofSeconds(10)), groq.breaker());
        assertEquals(new Retry(3, java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(5),
                java.time.Duration.ofSeconds(45)), route.retry());
        assertEquals(Retry.DEFAULT, snapshot.resolve("plain").orElseThrow().retry());

        PolicyException bad = assertThrows(PolicyException.class, () -> PolicyLoader.load(files("p.yaml", """
                providers:
                  - {id: g, kind: openai-compatible, base_url: "https://x", circuit_breaker: {failure_ratio: 1.5, failures: 0}}
                """)));
        assertEquals(2, bad.problems().size(), String.join("\n", bad.problems()));
        assertTrue(bad.problems().stream().anyMatch(p -> p.contains("failure_ratio")), String.join("\n", bad.problems()));
    }

    @Test
    void resolvesCatalogNamesAliasesAndProviderPrefixedNames() throws Exception {
        PolicySnapshot snapshot = PolicyLoader.load(files("providers.yaml", PROVIDERS, "models.yaml", MODELS));

        Route byName = snapshot.resolve("gpt-5").orElseThrow();
        assertEquals(2, byName.targets().size());
        assertEquals("openai", byName.targets().get(0).provider().id());
        assertEquals("openai/gpt-oss-120b", byName.targets().get(1).model());
        assertEquals("gpt-5", snapshot.resolve("gpt5").orElseThrow().model());

        Route direct = snapshot.resolve("groq/llama-3.3-70b").orElseThrow();
        assertEquals("groq", direct.targets().getFirst().provider().id());
        assertEquals("llama-3.3-70b", direct.targets().getFirst().model());

        assertTrue(snapshot.resolve("nope/x").isEmpty());
        assertEquals("https://api.openai.com/v1", snapshot.provider("openai").orElseThrow().baseUrl().toString());
        assertEquals(3, snapshot.provider("groq").orElseThrow().credentials().get(1).weight());
    }

    @Test
    void findsAKeyByItsIdWithItsTeamAndCustomer() throws Exception {
        PolicySnapshot snapshot = PolicyLoader.load(files("p.yaml", """
                providers: [{id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}]
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: alice, team: infra, sha256: %s}
                """.formatted(Secrets.sha256("s"))));
        PolicySnapshot.KeyChain alice = snapshot.key("alice").orElseThrow();
        assertEquals("infra", alice.team().id());
        assertEquals("acme", alice.customer().id());
        assertEquals(alice, snapshot.keyBySecret("s").orElseThrow());
        assertTrue(snapshot.key("bob").isEmpty());
        assertTrue(snapshot.key(Secrets.sha256("s")).isEmpty(), "ids and hashes are looked up apart");
    }

    @Test
    void suggestsCloseMatchesForUnknownNames() throws Exception {
        PolicySnapshot snapshot = PolicyLoader.load(files("providers.yaml", PROVIDERS, "models.yaml", MODELS));
        assertEquals("gpt-5", snapshot.closeMatches("gpt-6", 3).getFirst());
    }

    @Test
    void reportsEveryProblemWithItsFile() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(files(
                "providers.yaml", """
                        providers:
                          - id: openai
                            kind: openia
                            base_url: https://api.openai.com/v1
                            credential: PASTED_SECRET
                            colour: blue
                        """.replace("PASTED_SECRET", "sk-" + "live-abcdefghijklmnopqrstuvwxyz"),
                "models.yaml", """
                        models:
                          - name: gpt-5
                            targets: [{provider: azure, model: gpt-5}]
                        """)));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("providers.yaml:3:11: unknown provider kind 'openia'"), all);
        assertTrue(all.contains("providers.yaml:6:5: unknown field 'colour'"), all);
        assertTrue(all.contains("never put the secret itself"), all);
        assertTrue(!all.contains("abcdefghijklmnop"), "the pasted secret must not be echoed: " + all);
        assertTrue(all.contains("models.yaml:3:26: model 'gpt-5': provider 'azure' is not declared"), all);
    }

    /** One run of validate must list everything: an entry's own problems do not hide the checks across files. */
    @Test
    void reportsCrossFileProblemsOfInvalidEntriesInTheSameRun() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(files(
                "a.yaml", """
                        providers:
                          - id: openai
                            kind: openia
                            base_url: https://api.openai.com/v1
                        teams:
                          - {id: infra, customer: acme, colour: red}
                        """,
                "b.yaml", """
                        providers:
                          - id: openai
                            kind: openai
                            base_url: https://api.openai.com/v1
                        models:
                          - name: gpt-5
                            targets: [{provider: openai, model: gpt-5, weight: 0}]
                        """,
                "broken.yaml", "customers: [\n  - id: acme\n")));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("a.yaml:3:11: unknown provider kind 'openia'"), all);
        assertTrue(all.contains("unknown field 'colour'"), all);
        // the duplicate is found although the first declaration is invalid itself
        assertTrue(all.contains("b.yaml:2:9: provider 'openai' is declared twice (first at a.yaml:2:5)"), all);
        // a valid reference to an invalid provider is not called undeclared
        assertTrue(!all.contains("provider 'openai' is not declared"), all);
        assertTrue(all.contains("'weight' is 0"), all);
        // the team's customer may be in the file that did not parse: the message says so
        assertTrue(all.contains("team 'infra' belongs to customer 'acme', which is not declared (none are declared yet); "
                + "broken.yaml did not parse and may declare it"), all);
        assertTrue(all.contains("broken.yaml:"), all);
    }

    /** A catalog model without a price that a budgeted key may use would be refused at run time: validate says so first. */
    @Test
    void anUnpricedModelABudgetedKeyMayUseIsRefusedWhereItIsDeclared() throws Exception {
        String policy = """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:1/v1"}
                models:
                  - {name: priced, targets: [{provider: up, model: p}]}
                  - {name: free, targets: [{provider: up, model: f}]}
                pricing:
                  - {model: priced, input: 1, output: 1}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: spender, team: infra, sha256: %s, budgets: [{amount_usd: 5, period: daily}]KEYEXTRA}
                """.formatted("a".repeat(64));
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(files("p.yaml", policy.replace("KEYEXTRA", ""))));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().getFirst().startsWith("p.yaml:5:5: model 'free' has no price") && e.problems().getFirst().contains("key 'spender'"),
                e.getMessage());
        PolicyLoader.load(files("p.yaml", policy.replace("KEYEXTRA", ", unpriced: allow")));
        PolicyLoader.load(files("p.yaml", policy.replace("KEYEXTRA", ", deny_models: [free]")));
        PolicyLoader.load(files("p.yaml", policy.replace(", budgets: [{amount_usd: 5, period: daily}]KEYEXTRA", "")));
    }

    @Test
    void rejectsBrokenYaml() {
        PolicyException e = assertThrows(PolicyException.class,
                () -> PolicyLoader.load(files("bad.yaml", "providers: [\n  - id: x\n")));
        assertTrue(e.getMessage().startsWith("bad.yaml:"), e.getMessage());
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
    }
}
