package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code models:} entries: the catalog's names, aliases, weighted targets, fallbacks and retry settings. */
final class ModelSection {

    static final Set<String> FIELDS = Set.of("name", "aliases", "targets", "fallbacks", "retry", "context_window", "max_output_tokens",
            "reasoning", "images");
    static final Set<String> TARGET_FIELDS = Set.of("provider", "model", "weight");
    static final Set<String> RETRY_FIELDS = Set.of("attempts", "backoff_ms", "max_backoff_ms", "retry_after_cap_seconds", "budget_seconds");

    private final YamlFields f;

    ModelSection(YamlFields f) {
        this.f = f;
    }

    Optional<Model> read(JsonNode node, String path) {
        f.fields(node, path, FIELDS);
        String name = f.text(node, path, "name", true);
        List<String> aliases = f.strings(node, path, "aliases");
        List<ModelTarget> targets = targets(node, path, "targets");
        List<ModelTarget> fallbacks = targets(node, path, "fallbacks");
        if (targets.isEmpty() && node.has("targets") == false) {
            f.problem(path, "model '" + name + "' needs 'targets': at least one {provider, model}");
        }
        Retry retry = Retry.DEFAULT;
        JsonNode r = f.object(node, path, "retry");
        if (r != null) {
            String where = join(path, "retry");
            f.fields(r, where, RETRY_FIELDS);
            Long attempts = f.whole(r, where, "attempts", 1, (long) Retry.DEFAULT.attempts(), " (1 means no retry)");
            Long backoff = f.whole(r, where, "backoff_ms", 0, Retry.DEFAULT.backoff().toMillis(), "");
            Long maxBackoff = f.whole(r, where, "max_backoff_ms", 0, Retry.DEFAULT.maxBackoff().toMillis(), "");
            BigDecimal cap = f.number(r, where, "retry_after_cap_seconds", false);
            if (cap != null && cap.signum() < 0) {
                f.problem(join(where, "retry_after_cap_seconds"), "'retry_after_cap_seconds' must be 0 or more, found " + cap.toPlainString());
                cap = null;
            }
            Duration budget = f.seconds(r, where, "budget_seconds", Retry.DEFAULT.budget());
            if (attempts != null && backoff != null && maxBackoff != null) {
                retry = new Retry(attempts.intValue(), Duration.ofMillis(backoff), Duration.ofMillis(Math.max(backoff, maxBackoff)),
                        cap == null ? Retry.DEFAULT.retryAfterCap() : Duration.ofMillis(cap.multiply(BigDecimal.valueOf(1000)).longValue()),
                        budget);
            }
        }
        ModelFacts facts = ModelFacts.read(f, node, path);
        return name == null || facts == null ? Optional.empty() : Optional.of(new Model(name, aliases, targets, fallbacks, retry, facts));
    }

    private List<ModelTarget> targets(JsonNode node, String path, String field) {
        List<ModelTarget> out = new ArrayList<>();
        f.each(node, path, field, (t, where) -> {
            f.fields(t, where, TARGET_FIELDS);
            String provider = f.text(t, where, "provider", true);
            String model = f.text(t, where, "model", true);
            Long weight = f.whole(t, where, "weight", 1, 1L, " (weights are relative shares of traffic)");
            if (provider != null && model != null && weight != null) {
                out.add(new ModelTarget(provider, model, weight.intValue()));
            }
        });
        if (node.has(field) && node.get(field).isArray() && node.get(field).isEmpty() && field.equals("targets")) {
            f.problem(join(path, field), "a model needs at least one target {provider, model}");
        }
        return out;
    }
}
