package dev.tollgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The access rules as README.md and policies-example-repo/ write them. */
class ModelGlobTest {

    @Test
    void starAndQuestionMarkStayWithinOneSegment() {
        assertTrue(ModelGlob.of("gpt-*").matches("gpt-5.5"));
        assertFalse(ModelGlob.of("gpt-*").matches("gpt-x/anything"));
        assertTrue(ModelGlob.of("sim/*").matches("sim/echo"));
        assertFalse(ModelGlob.of("sim/*").matches("sim/a/b"));
        assertFalse(ModelGlob.of("sim/*").matches("sim/"));
        assertTrue(ModelGlob.of("sim/ech?").matches("sim/echo"));
        assertFalse(ModelGlob.of("sim?echo").matches("sim/echo"));
        assertFalse(ModelGlob.of("*").matches("openrouter/anthropic/claude"));
    }

    @Test
    void doubleStarSpansSegments() {
        assertTrue(ModelGlob.of("together/**").matches("together/meta-llama/Llama-3.3-70B-Instruct-Turbo"));
        assertTrue(ModelGlob.of("**").matches("a/b/c"));
        assertTrue(ModelGlob.of("fireworks/**/x").matches("fireworks/accounts/fireworks/models/x"));
        assertFalse(ModelGlob.of("together/**").matches("groq/llama"));
    }

    @Test
    void aDenyCoversTheNamesBelowWhatItMatches() {
        assertTrue(ModelGlob.of("groq/*").covers("groq/meta-llama/llama-4-scout-17b-16e-instruct"));
        assertTrue(ModelGlob.of("*").covers("sim/echo"), "deny_models: [\"*\"] blocks everything, as the validator advises");
        assertTrue(ModelGlob.of("simgem/priced").covers("simgem/priced"));
        assertTrue(ModelGlob.of("llama-*").covers("llama-3.1"));
        assertFalse(ModelGlob.of("simgem/priced").covers("simgem/priced-mini"));
        assertFalse(ModelGlob.of("simgem/priced").covers("simgem/cheap"));
        assertFalse(ModelGlob.of("groq/*").covers("groqx/llama"));
    }

    @Test
    void dotAndEmptySegmentsAreNeverAllowedAndAlwaysDenied() {
        for (String name : List.of("simgem/cheap/../priced", "sim/..", "sim/./echo", "sim//echo", "", "/sim", "sim/", "..", ".")) {
            assertTrue(ModelGlob.hasDotOrEmptySegment(name), name);
            assertFalse(ModelGlob.of("**").matches(name), name);
            assertFalse(ModelGlob.of("sim/*").matches(name), name);
            assertTrue(ModelGlob.of("nothing-like-it").covers(name), name);
        }
        for (String name : List.of("sim/echo", "a.b/c..d", "...", "gpt-5.5", "x/.hidden")) {
            assertFalse(ModelGlob.hasDotOrEmptySegment(name), name);
        }
    }

    @Test
    void theIssuesBypassIsRefusedAtEveryLevel() {
        ModelAccess access = new ModelAccess(List.of(), List.of("simgem/priced"));
        assertFalse(access.permits("simgem/priced"));
        assertFalse(access.permits("simgem/cheap/../priced"));
        assertTrue(access.permits("simgem/cheap"));
        ModelAccess allowSim = new ModelAccess(List.of("sim/*"), List.of());
        assertFalse(allowSim.permits("sim/../../v1/chat/completions?x="));
        assertFalse(allowSim.permits("sim/x/y"));
        assertTrue(allowSim.permits("sim/echo"));
    }

    @Test
    void theExamplePoliciesRulesKeepTheirMeaning() {
        ModelAccess acme = new ModelAccess(List.of("gpt-*", "azure/*"), List.of("llama-*", "groq/*", "ollama/*"));
        assertTrue(acme.permits("gpt-4.1-mini"));
        assertTrue(acme.permits("azure/gpt-4o"));
        assertEquals(Optional.of("groq/*"), acme.deniedBy("groq/meta-llama/llama-4-scout-17b-16e-instruct"));
        assertEquals(Optional.of("ollama/*"), acme.deniedBy("ollama/hf.co/user/repo:Q4_K_M"));
        assertFalse(acme.permits("gpt-4o/../../x"));
        ModelAccess blocked = new ModelAccess(List.of(), List.of("*"));
        assertFalse(blocked.permits("sim/echo"));
        assertFalse(blocked.permits("gpt-5"));
    }
}
