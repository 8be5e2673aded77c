package dev.tollgate.server.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.policy.ModelFacts;
import dev.tollgate.providers.json.JsonBody;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Codex's catalog extended with the gateway's models: copies of Codex's own plain entry, with the gateway's facts. */
class CodexCatalogTest {

    /** The shape of `codex debug models --bundled` (0.169), cut down: a code-mode model first, then a plain one. */
    private static final String BUNDLED = """
            {"models":[
              {"slug":"gpt-6-sol","visibility":"list","use_responses_lite":true,"tool_mode":"code_mode_only","priority":1,
               "base_instructions":"sol prompt","context_window":272000,"service_tiers":[{"id":"priority"}]},
              {"slug":"gpt-5.5","visibility":"list","use_responses_lite":false,"tool_mode":null,"priority":2,
               "base_instructions":"five-five prompt","context_window":272000,"max_context_window":272000,
               "supported_reasoning_levels":[{"effort":"low"},{"effort":"high"}],"default_reasoning_level":"medium",
               "input_modalities":["text","image"],"service_tiers":[{"id":"priority"}],"additional_speed_tiers":["fast"],
               "upgrade":{"model":"gpt-6-sol"},"apply_patch_tool_type":"freeform"}
            ]}""";

    private static JsonNode compose(List<GatewayModels.Offered> models) throws Exception {
        CodexCatalog.Result r = CodexCatalog.compose(JsonBody.MAPPER.readTree(BUNDLED), models);
        assertTrue(r.json().isPresent(), r.why());
        return JsonBody.MAPPER.readTree(r.json().get());
    }

    private static JsonNode entry(JsonNode catalog, String slug) {
        for (JsonNode e : catalog.path("models")) {
            if (e.path("slug").asText().equals(slug)) {
                return e;
            }
        }
        throw new AssertionError(slug + " not in " + catalog);
    }

    @Test
    void gatewayModelsCodexDoesNotKnowGetAnEntryFromItsPlainModelWithTheGatewaysFacts() throws Exception {
        JsonNode catalog = compose(List.of(
                new GatewayModels.Offered("anthropic/claude-sonnet-4-5", new ModelFacts(200_000L, 64_000L, true, true)),
                new GatewayModels.Offered("llama", new ModelFacts(131_072L, null, false, false)),
                new GatewayModels.Offered("mystery", ModelFacts.UNKNOWN),
                new GatewayModels.Offered("gpt-5.5", ModelFacts.UNKNOWN),
                new GatewayModels.Offered("openai/gpt-6-sol", ModelFacts.UNKNOWN)));
        // Codex's own entries untouched; names it finds itself (also after a namespace) get none.
        assertEquals(5, catalog.path("models").size(), catalog.toString());
        assertEquals("sol prompt", entry(catalog, "gpt-6-sol").path("base_instructions").asText());

        JsonNode claude = entry(catalog, "anthropic/claude-sonnet-4-5");
        assertEquals("five-five prompt", claude.path("base_instructions").asText(), "the plain entry is the template, not the code-mode one");
        assertEquals(200000, claude.path("context_window").asLong());
        assertEquals(200000, claude.path("max_context_window").asLong());
        assertEquals("medium", claude.path("default_reasoning_level").asText());
        assertEquals("[]", claude.path("service_tiers").toString(), "OpenAI's speed tiers are not offered elsewhere");
        assertEquals("[]", claude.path("additional_speed_tiers").toString());
        assertTrue(claude.path("upgrade").isNull());
        assertEquals("freeform", claude.path("apply_patch_tool_type").asText());

        JsonNode llama = entry(catalog, "llama");
        assertEquals(131072, llama.path("context_window").asLong());
        assertEquals("[]", llama.path("supported_reasoning_levels").toString());
        assertTrue(llama.path("default_reasoning_level").isNull());
        assertEquals("[\"text\"]", llama.path("input_modalities").toString());

        // Nothing known: Codex's own defaults for its plain model.
        assertEquals(272000, entry(catalog, "mystery").path("context_window").asLong());
    }

    @Test
    void somethingThatIsNotCodexsCatalogGivesNoCatalog() throws Exception {
        for (String wrong : List.of("{}", "{\"models\":[]}", "{\"models\":\"x\"}", "[1,2]", "{\"models\":[1]}")) {
            CodexCatalog.Result r = CodexCatalog.compose(JsonBody.MAPPER.readTree(wrong), List.of());
            assertTrue(r.json().isEmpty(), wrong);
            assertTrue(r.why().contains("no models list"), r.why());
        }
    }
}
