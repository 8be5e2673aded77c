package dev.tollgate.policy;

/**
 * What a client's agent needs to know of a model to use it well: how many tokens its context holds,
 * how many it may write in one answer, whether it reasons, whether it reads images. Any of them may be
 * unknown (null). A catalog entry's facts win over the bundled table's row for its first target.
 */
public record ModelFacts(Long contextWindow, Long maxOutputTokens, Boolean reasoning, Boolean images) {

    public static final ModelFacts UNKNOWN = new ModelFacts(null, null, null, null);

    /** The policy's own fields, and the bundled table's rows (besides prices), that carry these facts. */
    static final java.util.Set<String> FIELDS = java.util.Set.of("context_window", "max_output_tokens", "reasoning", "images");

    /** Each fact of this, else {@code other}'s. */
    public ModelFacts orElse(ModelFacts other) {
        return new ModelFacts(contextWindow != null ? contextWindow : other.contextWindow,
                maxOutputTokens != null ? maxOutputTokens : other.maxOutputTokens,
                reasoning != null ? reasoning : other.reasoning, images != null ? images : other.images);
    }

    public boolean known() {
        return contextWindow != null || maxOutputTokens != null || reasoning != null || images != null;
    }

    /** The facts written on a node (a catalog entry or a price row); null when one is wrong (reported). */
    static ModelFacts read(YamlFields f, com.fasterxml.jackson.databind.JsonNode node, String path) {
        Long window = f.whole(node, path, "context_window", 1, null, " (tokens the model reads and writes in one request)");
        Long output = f.whole(node, path, "max_output_tokens", 1, null, " (tokens in one answer)");
        Boolean reasoning = flag(f, node, path, "reasoning");
        Boolean images = flag(f, node, path, "images");
        boolean wrong = node.hasNonNull("context_window") && window == null || node.hasNonNull("max_output_tokens") && output == null
                || node.hasNonNull("reasoning") && reasoning == null || node.hasNonNull("images") && images == null;
        if (wrong) {
            return null;
        }
        if (window != null && output != null && output > window) {
            f.problem(YamlFields.join(path, "max_output_tokens"), "'max_output_tokens' (" + output + ") is more than 'context_window' ("
                    + window + "): an answer is part of the context");
            return null;
        }
        return new ModelFacts(window, output, reasoning, images);
    }

    private static Boolean flag(YamlFields f, com.fasterxml.jackson.databind.JsonNode node, String path, String field) {
        com.fasterxml.jackson.databind.JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            f.problem(YamlFields.join(path, field), "'" + field + "' must be true or false, found " + YamlFields.describe(v));
            return null;
        }
        return v.booleanValue();
    }
}
