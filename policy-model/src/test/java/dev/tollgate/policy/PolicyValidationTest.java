package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each kind of mistake is reported at the line and column where it is, with what to do. */
class PolicyValidationTest {

    static final String KEY_HASH = Secrets.sha256("tg-alice-secret");

    static final String BASE = """
            providers:
              - {id: openai, kind: openai, base_url: "https://api.openai.com/v1", credential: "env:OPENAI_API_KEY"}
            models:
              - name: gpt-5
                targets: [{provider: openai, model: gpt-5}]
            customers:
              - id: acme
            teams:
              - id: infra
                customer: acme
            """;

    static Map<String, byte[]> files(String... nameThenContent) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < nameThenContent.length; i += 2) {
            files.put(nameThenContent[i], nameThenContent[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    private static List<String> problems(String keysFile) {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(files("base.yaml", BASE, "teams/infra/keys.yaml", keysFile)));
        return e.problems();
    }

    private static void assertOne(List<String> problems, String prefix, String contains) {
        assertEquals(1, problems.size(), String.join("\n", problems));
        assertTrue(problems.getFirst().startsWith(prefix), problems.getFirst());
        assertTrue(problems.getFirst().contains(contains), problems.getFirst());
    }

    @Test
    void aGoodPolicyIndexesKeysWithTheirTeamAndCustomer() throws Exception {
        PolicySnapshot s = PolicyLoader.load(files("base.yaml", BASE, "teams/infra/keys.yaml", """
                keys:
                  - id: alice
                    team: infra
                    sha256: %s
                    budgets: [{amount_usd: 50, period: monthly}]
                    limits: {requests_per_minute: 60, tokens_per_day: 2000000}
                    allow_models: ["gpt-*"]
                    deny_models: ["gpt-5-pro"]
                    max_concurrent: 4
                    expires: 2027-06-30
                    labels: {owner: alice@example.com, cost_centre: CC-42}
                """.formatted(KEY_HASH)));
        PolicySnapshot.KeyChain chain = s.keyBySecret("tg-alice-secret").orElseThrow();
        assertEquals("infra", chain.team().id());
        assertEquals("acme", chain.customer().id());
        Governance g = chain.key().governance();
        assertEquals(new Budget(new java.math.BigDecimal("50"), Budget.Period.MONTHLY), g.budgets().getFirst());
        assertEquals(List.of(new RateLimit(RateLimit.Metric.REQUESTS, RateLimit.Window.MINUTE, 60),
                new RateLimit(RateLimit.Metric.TOKENS, RateLimit.Window.DAY, 2_000_000)), g.limits());
        assertTrue(g.models().permits("gpt-5"));
        assertFalse(g.models().permits("gpt-5-pro"));
        assertFalse(g.models().permits("claude-sonnet-4-5"));
        assertEquals(4, g.maxConcurrent().getAsInt());
        assertTrue(g.expiredAt(java.time.Instant.parse("2027-06-30T00:00:00Z")));
        assertFalse(g.expiredAt(java.time.Instant.parse("2027-06-29T23:59:59Z")));
        assertTrue(s.keyBySecret("tg-someone-else").isEmpty());
    }

    @Test
    void contentCaptureIsOffUnlessTheNarrowestLevelThatSaysTurnsItOn() throws Exception {
        PolicySnapshot s = PolicyLoader.load(files("base.yaml", """
                providers:
                  - {id: openai, kind: openai, base_url: "https://api.openai.com/v1", credential: "env:OPENAI_API_KEY"}
                customers:
                  - {id: acme, capture_content: true}
                  - {id: other}
                teams:
                  - {id: infra, customer: acme, capture_content: false}
                  - {id: data, customer: acme}
                  - {id: quiet, customer: other}
                keys:
                  - {id: a, team: infra, sha256: %s}
                  - {id: b, team: infra, sha256: %s, capture_content: true}
                  - {id: c, team: data, sha256: %s}
                  - {id: d, team: quiet, sha256: %s}
                """.formatted(Secrets.sha256("ka"), Secrets.sha256("kb"), Secrets.sha256("kc"), Secrets.sha256("kd"))));
        assertFalse(s.keyBySecret("ka").orElseThrow().capturesContent(), "the team's false beats the customer's true");
        assertTrue(s.keyBySecret("kb").orElseThrow().capturesContent(), "the key's own setting wins");
        assertTrue(s.keyBySecret("kc").orElseThrow().capturesContent(), "inherited from the customer");
        assertFalse(s.keyBySecret("kd").orElseThrow().capturesContent(), "off when nobody says");
        assertOne(problems("keys:\n  - {id: alice, team: infra, sha256: " + KEY_HASH + ", capture_content: yes please}\n"),
                "teams/infra/keys.yaml:2:", "'capture_content' must be true");
    }

    @Test
    void yamlSyntax() {
        assertOne(problems("keys:\n  - id: alice\n    team: [infra\n"), "teams/infra/keys.yaml:3:17:", "not valid YAML");
    }

    @Test
    void unknownFieldWithSuggestion() {
        assertOne(problems("keys:\n  - id: alice\n    team: infra\n    sha256: " + KEY_HASH + "\n    budgest: []\n"),
                "teams/infra/keys.yaml:5:5:", "unknown field 'budgest'; did you mean 'budgets'?");
    }

    @Test
    void wrongType() {
        assertOne(problems("keys:\n  - id: alice\n    team: infra\n    sha256: " + KEY_HASH
                        + "\n    budgets:\n      - {amount_usd: \"$50\", period: monthly}\n"),
                "teams/infra/keys.yaml:6:22:", "'amount_usd' must be a number, found the text '$50' (write it as a bare number, e.g. amount_usd: 50)");
    }

    @Test
    void danglingReferences() {
        assertOne(problems("keys:\n  - id: alice\n    team: infar\n    sha256: " + KEY_HASH + "\n"),
                "teams/infra/keys.yaml:3:11:", "key 'alice' belongs to team 'infar', which is not declared (declared: infra)");
        assertOne(problems("models:\n  - name: x\n    targets: [{provider: openai, model: a}]\n    fallbacks:\n      - {provider: anthropic, model: b}\n"),
                "teams/infra/keys.yaml:5:20:", "provider 'anthropic' is not declared");
    }

    @Test
    void duplicateIdsAndHashes() {
        List<String> p = problems("keys:\n  - {id: alice, team: infra, sha256: " + KEY_HASH + "}\n  - {id: alice, team: infra, sha256: "
                + Secrets.sha256("other") + "}\n  - {id: bob, team: infra, sha256: " + KEY_HASH + "}\n");
        assertEquals(2, p.size(), String.join("\n", p));
        assertTrue(p.get(0).startsWith("teams/infra/keys.yaml:3:10: key 'alice' is declared twice (first at teams/infra/keys.yaml:2:5)"), p.get(0));
        assertTrue(p.get(1).startsWith("teams/infra/keys.yaml:4:36: key 'bob' has the same sha256"), p.get(1));
    }

    @Test
    void impossibleBudgetsAndLimits() {
        List<String> p = problems("keys:\n  - id: alice\n    team: infra\n    sha256: " + KEY_HASH
                + "\n    budgets: [{amount_usd: -5, period: monthly}, {amount_usd: 5, period: fortnightly}]\n    limits: {requests_per_minute: 0}\n");
        assertEquals(3, p.size(), String.join("\n", p));
        assertTrue(p.get(0).startsWith("teams/infra/keys.yaml:5:28: a budget of $-5 can never be right"), p.get(0));
        assertTrue(p.get(1).startsWith("teams/infra/keys.yaml:5:74: unknown budget period 'fortnightly'"), p.get(1));
        assertTrue(p.get(2).startsWith("teams/infra/keys.yaml:6:35: 'requests_per_minute' is 0; it must be at least 1"), p.get(2));
    }

    /** Bucket4j refills at most one token per nanosecond: a larger limit would fail every request of its owner. */
    @Test
    void limitsTheRateLimiterCannotHoldAreRefusedWhereTheyAre() {
        List<String> p = problems("keys:\n  - id: alice\n    team: infra\n    sha256: " + KEY_HASH
                + "\n    limits: {tokens_per_minute: 100000000000, requests_per_hour: 3600000000000, tokens_per_day: 100000000000000000000000}\n");
        assertEquals(2, p.size(), String.join("\n", p));
        assertTrue(p.get(0).startsWith("teams/infra/keys.yaml:5:33: 'tokens_per_minute' is 100000000000; the rate limiter holds at most 60000000000"), p.get(0));
        assertTrue(p.get(1).startsWith("teams/infra/keys.yaml:5:97: 'tokens_per_day' is 100000000000000000000000; the rate limiter holds at most 86400000000000"), p.get(1));
    }

    @Test
    void rawSecretsAnywhereEvenInCommentsAreRefusedWithoutEchoingThem() {
        String openAi = "sk-proj-" + "A".repeat(40);
        String plaintext = Secrets.newKey();
        List<String> p = problems("""
                # alice's key is %s
                providers:
                  - id: other
                    kind: openai
                    base_url: https://api.example.com/v1
                    headers: {Authorization: "Bearer abcdefghijklmnopqrstuvwxyz012345"}
                    credential: %s
                """.formatted(plaintext, openAi));
        assertEquals(4, p.size(), String.join("\n", p));
        assertTrue(p.get(0).startsWith("teams/infra/keys.yaml:1:18: this looks like a virtual key's plaintext"), p.get(0));
        assertTrue(p.get(1).startsWith("teams/infra/keys.yaml:6:31: this looks like a bearer token"), p.get(1));
        assertTrue(p.get(2).startsWith("teams/infra/keys.yaml:7:17: this looks like an OpenAI-style API key"), p.get(2));
        String all = String.join("\n", p);
        assertFalse(all.contains(openAi) || all.contains(plaintext) || all.contains("abcdefghijklmnopqrstuvwxyz012345"), all);
        assertTrue(all.contains("env:NAME"), all);
    }

    @Test
    void aPasswordInABaseUrlIsASecretToo() {
        List<String> p = problems("providers:\n  - {id: vllm, kind: openai-compatible, base_url: \"https://gpu:hunter2secret@llm.internal/v1\"}\n");
        assertOne(p, "teams/infra/keys.yaml:2:52:", "this looks like a password in a URL");
        assertFalse(p.getFirst().contains("hunter2secret"), p.getFirst());
    }

    @Test
    void aKeyStoredAsPlaintextInsteadOfItsHashIsRefused() {
        List<String> p = problems("keys:\n  - {id: alice, team: infra, sha256: not-a-hash}\n");
        assertOne(p, "teams/infra/keys.yaml:2:38:", "must be 64 lower-case hex characters");
    }

    @Test
    void policyPricingOverridesTheBundledTable() throws Exception {
        PolicySnapshot s = PolicyLoader.load(files("base.yaml", BASE, "pricing.yaml", """
                pricing:
                  - {model: gpt-5, input: 1.00, output: 8}
                  - {model: in-house-llm, input: 0.1, output: 0.2, cached_input: 0.01, cache_write_5m: 0.2, cache_write_1h: 0.3}
                """));
        assertEquals(0, s.pricing("gpt-5").orElseThrow().input().compareTo(new java.math.BigDecimal("1.00")));
        assertEquals(0, s.pricing("claude-sonnet-4-5").orElseThrow().cacheWrite1h().compareTo(new java.math.BigDecimal("6")));
        Pricing own = s.pricing("in-house-llm").orElseThrow();
        // 1M input + 1M output + 1M cache reads = 0.1 + 0.2 + 0.01
        assertEquals(0, own.cost(1_000_000, 1_000_000, 1_000_000, 0, 0, 0).compareTo(new java.math.BigDecimal("0.31")));
        // 500 hosted web searches at the default $10 per thousand
        assertEquals(0, own.cost(0, 0, 0, 0, 0, 500).compareTo(new java.math.BigDecimal("5")));
        assertTrue(s.pricing("unknown-model").isEmpty());
    }

    @Test
    void budgetPeriodsAreCalendarAlignedInUtc() {
        java.time.Instant t = java.time.Instant.parse("2026-11-26T15:30:00Z"); // a Thursday
        assertEquals(java.time.Instant.parse("2026-11-26T00:00:00Z"), Budget.Period.DAILY.windowStart(t));
        assertEquals(java.time.Instant.parse("2026-11-23T00:00:00Z"), Budget.Period.WEEKLY.windowStart(t));
        assertEquals(java.time.Instant.parse("2026-11-01T00:00:00Z"), Budget.Period.MONTHLY.windowStart(t));
        assertEquals(java.time.Instant.EPOCH, Budget.Period.TOTAL.windowStart(t));
    }

    @Test
    void theSchemaDeclaresExactlyTheFieldsTheLoaderAccepts() throws Exception {
        var schema = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                PolicyLoader.class.getResourceAsStream(PolicyLoader.SCHEMA_FILE));
        var props = schema.path("properties");
        assertEquals(PolicyLoader.TOP_FIELDS, names(props));
        assertEquals(PolicyLoader.PROVIDER_FIELDS, names(props.path("providers").path("items").path("properties")));
        assertEquals(PolicyLoader.MODEL_FIELDS, names(props.path("models").path("items").path("properties")));
        assertEquals(PolicyLoader.CUSTOMER_FIELDS, names(props.path("customers").path("items").path("properties")));
        assertEquals(PolicyLoader.TEAM_FIELDS, names(props.path("teams").path("items").path("properties")));
        assertEquals(PolicyLoader.KEY_FIELDS, names(props.path("keys").path("items").path("properties")));
        assertEquals(PolicyLoader.LIMIT_FIELDS, names(props.path("keys").path("items").path("properties").path("limits").path("properties")));
        assertEquals(PolicyLoader.PRICING_FIELDS, names(props.path("pricing").path("items").path("properties")));
        assertEquals(PolicyLoader.ADMIN_FIELDS, names(props.path("admins").path("items").path("properties")));
        assertEquals(SsoSection.FIELDS, names(props.path("sso").path("properties")));
        assertEquals(SsoSection.PERSON_FIELDS, names(props.path("sso").path("properties").path("person").path("properties")));
    }

    @Test
    void theExampleRepositoryCarriesTheSameSchema() throws Exception {
        byte[] bundled = PolicyLoader.class.getResourceAsStream(PolicyLoader.SCHEMA_FILE).readAllBytes();
        java.nio.file.Path copy = java.nio.file.Path.of(System.getProperty("user.dir"))
                .resolveSibling("policies-example-repo").resolve(PolicyLoader.SCHEMA_FILE);
        assertEquals(new String(bundled, StandardCharsets.UTF_8), java.nio.file.Files.readString(copy),
                "copy policy-model/src/main/resources/dev/tollgate/policy/" + PolicyLoader.SCHEMA_FILE + " to policies-example-repo/");
    }

    private static java.util.Set<String> names(com.fasterxml.jackson.databind.JsonNode node) {
        java.util.Set<String> names = new java.util.HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
