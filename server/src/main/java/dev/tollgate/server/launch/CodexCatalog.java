package dev.tollgate.server.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.ModelFacts;
import dev.tollgate.providers.json.JsonBody;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The model catalog Codex is given for the gateway's models ({@code -c model_catalog_json=FILE}), so it
 * does not fall back to generic metadata ("Model metadata for ... not found") for names it does not
 * know. Codex accepts an entry only with full base instructions, which replace its own prompt; so the
 * catalog is built from the catalog bundled in the user's own Codex ({@code codex debug models
 * --bundled}): each gateway model Codex does not know gets a copy of one of Codex's own entries (its
 * prompt and tool settings, as Codex ships them for that version), with the gateway's facts for the
 * model (context window, reasoning, images) and no OpenAI-only service tiers. Codex's own entries stay
 * as they are, so its OpenAI models keep working.
 */
final class CodexCatalog {

    /** A bundled catalog larger than this is not Codex's (the real one is well under a megabyte). */
    private static final int MAX_BYTES = 16 * 1024 * 1024;

    private CodexCatalog() {
    }

    /** The catalog as JSON, or why not (Codex then runs with its fallback metadata and its warning). */
    static Result build(Path codex, List<GatewayModels.Offered> models) {
        Process p;
        try {
            p = new ProcessBuilder(codex.toString(), "debug", "models", "--bundled")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return new Result(Optional.empty(), "cannot run '" + codex + " debug models': " + e.getMessage());
        }
        try (InputStream in = p.getInputStream()) {
            byte[] out = in.readNBytes(MAX_BYTES + 1);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(Optional.empty(), "'codex debug models' did not finish in 30 s");
            }
            if (p.exitValue() != 0 || out.length > MAX_BYTES) {
                return new Result(Optional.empty(), "'codex debug models --bundled' failed (exit " + p.exitValue() + "); this Codex may be too old");
            }
            return compose(JsonBody.MAPPER.readTree(out), models);
        } catch (IOException e) {
            return new Result(Optional.empty(), "Codex's bundled model catalog did not parse: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result(Optional.empty(), "interrupted");
        }
    }

    /** @param json the catalog when there is one; else {@code why} says what went wrong */
    record Result(Optional<String> json, String why) {
    }

    /** Codex's bundled catalog plus one entry for each gateway model Codex does not know. */
    static Result compose(JsonNode bundled, List<GatewayModels.Offered> models) {
        if (!(bundled.path("models") instanceof ArrayNode entries) || entries.isEmpty() || !entries.get(0).isObject()) {
            return new Result(Optional.empty(), "Codex's bundled model catalog has no models list");
        }
        ObjectNode template = template(entries);
        Set<String> known = new HashSet<>();
        entries.forEach(e -> known.add(e.path("slug").asText()));
        ObjectNode catalog = ((ObjectNode) bundled).deepCopy();
        ArrayNode out = (ArrayNode) catalog.get("models");
        int priority = 100;
        for (GatewayModels.Offered m : models) {
            if (knows(known, m.id())) {
                continue;
            }
            out.add(entry(template, m, priority++));
        }
        return new Result(Optional.of(catalog.toString()), "");
    }

    /**
     * Codex finds {@code openai/gpt-5.5} under {@code gpt-5.5} itself (it strips a namespace), so only
     * names it would not find get an entry.
     */
    private static boolean knows(Set<String> known, String id) {
        int slash = id.indexOf('/');
        return known.contains(id) || slash > 0 && known.contains(id.substring(slash + 1));
    }

    /**
     * The entry to copy: a listed one that speaks the plain Responses API with Codex's ordinary tools
     * (no "responses lite", no code-mode-only tools), which a translated upstream serves as well as
     * OpenAI; else the first.
     */
    private static ObjectNode template(ArrayNode entries) {
        for (JsonNode e : entries) {
            if (e.isObject() && "list".equals(e.path("visibility").asText()) && !e.path("use_responses_lite").asBoolean(false)
                    && (e.path("tool_mode").isNull() || e.path("tool_mode").isMissingNode())
                    && (e.hasNonNull("base_instructions") || e.path("model_messages").hasNonNull("instructions_template"))) {
                return (ObjectNode) e;
            }
        }
        return (ObjectNode) entries.get(0);
    }

    private static ObjectNode entry(ObjectNode template, GatewayModels.Offered m, int priority) {
        ObjectNode e = template.deepCopy();
        ModelFacts f = m.facts();
        e.put("slug", m.id()).put("display_name", m.id()).put("description", m.id() + " through Tollgate")
                .put("visibility", "list").put("priority", priority);
        e.putNull("upgrade");
        e.putNull("availability_nux");
        // Speed tiers are OpenAI's: the gateway prices them only there.
        e.putArray("service_tiers");
        e.putArray("additional_speed_tiers");
        if (e.has("default_service_tier")) {
            e.putNull("default_service_tier");
        }
        if (f.contextWindow() != null) {
            e.put("context_window", f.contextWindow()).put("max_context_window", f.contextWindow());
        }
        if (Boolean.FALSE.equals(f.reasoning())) {
            e.putArray("supported_reasoning_levels");
            e.putNull("default_reasoning_level");
        }
        if (f.images() != null) {
            ArrayNode modalities = e.putArray("input_modalities").add("text");
            if (f.images()) {
                modalities.add("image");
            }
        }
        return e;
    }
}
