package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the gateway tells clients of a model: the catalog entry's facts first, then its first target's row in the bundled table. */
class ModelFactsTest {

    private static final String PROVIDERS = """
            providers:
              - {id: anthropic, kind: anthropic, base_url: "https://api.anthropic.com", credential: env:ANTHROPIC_KEY}
              - {id: local, kind: openai-compatible, base_url: "http://127.0.0.1:11434/v1"}
            """;

    private static PolicySnapshot load(String models) throws PolicyException {
        return PolicyLoader.load(PolicyValidationTest.files("p.yaml", PROVIDERS + models));
    }

    @Test
    void aCatalogEntryGetsTheBundledFactsOfItsFirstTargetAndMayOverrideEach() throws Exception {
        PolicySnapshot p = load("""
                models:
                  - name: sonnet
                    aliases: [s]
                    targets: [{provider: anthropic, model: claude-sonnet-4-5}]
                  - name: sonnet-short
                    targets: [{provider: anthropic, model: claude-sonnet-4-5}]
                    context_window: 100000
                    reasoning: false
                  - name: home-llama
                    targets: [{provider: local, model: llama3.3:70b}]
                    context_window: 131072
                    images: false
                """);
        assertEquals(new ModelFacts(200_000L, 64_000L, true, true), p.facts("sonnet"));
        assertEquals(p.facts("sonnet"), p.facts("s"));
        assertEquals(new ModelFacts(100_000L, 64_000L, false, true), p.facts("sonnet-short"));
        // Not in the bundled table: only what the entry says.
        assertEquals(new ModelFacts(131_072L, null, null, false), p.facts("home-llama"));
        // provider/model straight through a declared provider: the table's row.
        assertEquals(200_000L, p.facts("anthropic/claude-sonnet-4-5").contextWindow());
        // A Vertex-style pinned version finds its row without the '@'.
        assertEquals(64_000L, p.facts("anthropic/claude-sonnet-4-5@20250929").maxOutputTokens());
        assertEquals(ModelFacts.UNKNOWN, p.facts("no-such-model"));
        assertNull(p.facts("local/qwen3").contextWindow());
    }

    @Test
    void theBundledFactsAreConsistent() {
        long withFacts = PolicyLoader.DEFAULT_PRICING.stream().filter(r -> r.facts().known()).count();
        assertTrue(withFacts >= 30, "rows with facts: " + withFacts);
        for (Pricing r : PolicyLoader.DEFAULT_PRICING) {
            ModelFacts f = r.facts();
            if (f.contextWindow() != null && f.maxOutputTokens() != null) {
                assertTrue(f.maxOutputTokens() <= f.contextWindow(), r.model());
            }
        }
    }

    @Test
    void wrongFactsAreRefusedWhereTheyAreWritten() {
        PolicyException e = assertThrows(PolicyException.class, () -> load("""
                models:
                  - name: a
                    targets: [{provider: local, model: x}]
                    context_window: -5
                  - name: b
                    targets: [{provider: local, model: x}]
                    reasoning: "yes"
                  - name: c
                    targets: [{provider: local, model: x}]
                    context_window: 1000
                    max_output_tokens: 2000
                  - name: d
                    targets: [{provider: local, model: x}]
                    max_output_tokens: 1.5
                pricing:
                  - {model: x, input: 1, output: 2, images: 1}
                """));
        List<String> problems = e.problems();
        assertTrue(problems.stream().anyMatch(s -> s.contains("'context_window' is -5; it must be at least 1")), problems::toString);
        assertTrue(problems.stream().anyMatch(s -> s.contains("'reasoning' must be true or false, found the text 'yes'")), problems::toString);
        assertTrue(problems.stream().anyMatch(s -> s.contains("'max_output_tokens' (2000) is more than 'context_window' (1000)")), problems::toString);
        assertTrue(problems.stream().anyMatch(s -> s.contains("'max_output_tokens' must be a whole number, found 1.5")), problems::toString);
        assertTrue(problems.stream().anyMatch(s -> s.contains("'images' must be true or false, found the number 1")), problems::toString);
        assertEquals(5, problems.size(), problems::toString);
    }
}
