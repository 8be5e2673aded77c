package dev.tollgate.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.policy.PolicyException;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.ProviderSpec;
import dev.tollgate.providers.json.JsonBody;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The built-in kinds as the policy loader sees them: their settings checked at load and listed in the JSON schema. */
class AdaptersTest {

    private static List<String> problems(String yaml) {
        return assertThrows(PolicyException.class, () -> PolicyLoader.load(Map.of("p.yaml", yaml.getBytes(StandardCharsets.UTF_8)))).problems();
    }

    @Test
    void aMistypedOrUnknownSettingIsRefusedWhereItIsWithTheValidOnes() {
        List<String> problems = problems("""
                providers:
                  - id: openai
                    kind: openai
                    base_url: https://api.openai.com/v1
                    settings:
                      max-output-tokens: lots
                      api: completions
                      max_output_tokens: 100
                """);
        assertEquals(3, problems.size(), String.join("\n", problems));
        assertTrue(problems.contains("p.yaml:6:26: 'max-output-tokens' must be a whole number from 1 to 999999999, found 'lots'"),
                String.join("\n", problems));
        assertTrue(problems.contains("p.yaml:7:12: 'api' must be responses or chat, or a list of them each at most once, found 'completions'"),
                String.join("\n", problems));
        assertTrue(problems.contains("p.yaml:8:7: unknown setting 'max_output_tokens' for kind openai; did you mean 'max-output-tokens'? "
                + "(settings of kind openai: api, reasoning, max-output-tokens)"), String.join("\n", problems));
    }

    @Test
    void theChatApisAProviderSpeaksAreOneOrAListOfThemAndNothingElse() throws Exception {
        var policy = PolicyLoader.load(Map.of("p.yaml", """
                providers:
                  - {id: both, kind: openai-compatible, base_url: "https://llm.example/v1", settings: {api: [chat, responses]}}
                  - {id: one, kind: openai-compatible, base_url: "https://llm.example/v1", settings: {api: chat}}
                """.getBytes(StandardCharsets.UTF_8)));
        assertEquals("chat,responses", policy.policy().providers().getFirst().settings().get("api"));
        List<String> problems = problems("""
                providers:
                  - id: x
                    kind: openai-compatible
                    base_url: https://llm.example/v1
                    settings:
                      api: [chat, chat]
                  - id: y
                    kind: openai-compatible
                    base_url: https://llm.example/v1
                    settings:
                      api: [chat, messages]
                """);
        assertEquals(List.of("p.yaml:6:12: 'api' must be responses or chat, or a list of them each at most once, found 'chat,chat'",
                "p.yaml:11:12: 'api' must be responses or chat, or a list of them each at most once, found 'chat,messages'"), problems);
    }

    @Test
    void anUnknownKindListsTheKnownOnes() {
        List<String> problems = problems("""
                providers:
                  - {id: x, kind: openia, base_url: "https://x.example/v1"}
                """);
        assertTrue(problems.getFirst().contains("unknown provider kind 'openia' (known: anthropic, azure-openai, bedrock, gemini, openai, "
                + "openai-compatible, vertex)"), problems.getFirst());
    }

    /** Every built-in kind's settings are in the schema editors validate against, and nothing else is. */
    @Test
    void theSchemaListsEverySettingOfEveryKind() throws Exception {
        JsonNode schema = JsonBody.MAPPER.readTree(PolicyLoader.class.getResourceAsStream(PolicyLoader.SCHEMA_FILE));
        JsonNode provider = schema.path("properties").path("providers").path("items");
        Set<String> kinds = new TreeSet<>();
        provider.path("properties").path("kind").path("enum").forEach(k -> kinds.add(k.asText()));
        Adapters adapters = new Adapters();
        Set<String> builtIn = new TreeSet<>();
        adapters.specs().forEach(s -> builtIn.add(s.kind().id()));
        assertEquals(builtIn, kinds);
        for (ProviderSpec spec : adapters.specs()) {
            JsonNode settings = null;
            for (JsonNode rule : provider.path("allOf")) {
                if (spec.kind().id().equals(rule.path("if").path("properties").path("kind").path("const").asText())
                        && rule.path("then").path("properties").path("settings").has("properties")) {
                    settings = rule.path("then").path("properties").path("settings");
                }
            }
            assertTrue(settings != null, "the schema has no settings for kind " + spec.kind().id());
            Set<String> listed = new TreeSet<>();
            settings.path("properties").fieldNames().forEachRemaining(listed::add);
            Set<String> declared = new TreeSet<>(spec.settings().stream().map(ProviderSpec.Setting::name).toList());
            assertEquals(declared, listed, "kind " + spec.kind().id());
            assertEquals(false, settings.path("additionalProperties").asBoolean(true), "kind " + spec.kind().id());
        }
    }

    /** The example policy prices every target it routes to: with budgets on its keys, an unpriced one would be refused. */
    @Test
    void theExamplePolicyPricesEverythingItRoutesTo() throws Exception {
        var example = PolicyLoader.loadDirectory(java.nio.file.Path.of(System.getProperty("user.dir")).resolveSibling("policies-example-repo"));
        List<String> unpriced = new java.util.ArrayList<>();
        for (var model : example.policy().models()) {
            for (var target : java.util.stream.Stream.concat(model.targets().stream(), model.fallbacks().stream()).toList()) {
                if (example.pricing(target.model()).isEmpty() && example.pricing(model.name()).isEmpty()) {
                    unpriced.add(model.name() + " -> " + target.provider() + "/" + target.model());
                }
            }
        }
        assertEquals(List.of(), unpriced);
    }
}
