package dev.tollgate.policy;

import java.util.List;
import java.util.Optional;

/**
 * Which model names a customer, team or key may use, as {@link ModelGlob}s ({@code *} and {@code ?}
 * within one {@code /}-separated segment, {@code **} across segments). A deny wins over an allow and
 * covers the names below what it matches; an allow matches whole names; no allow list means every model.
 */
public record ModelAccess(List<String> allow, List<String> deny) {

    public static final ModelAccess ANY = new ModelAccess(List.of(), List.of());

    public ModelAccess {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    public boolean permits(String model) {
        return deniedBy(model).isEmpty() && allows(model);
    }

    /** The first deny glob that covers {@code model}. */
    public Optional<String> deniedBy(String model) {
        return deny.stream().filter(g -> ModelGlob.of(g).covers(model)).findFirst();
    }

    /** No allow list, or one of its globs matches {@code model} whole. */
    public boolean allows(String model) {
        if (allow.isEmpty()) {
            return !ModelGlob.hasDotOrEmptySegment(model);
        }
        return allow.stream().anyMatch(g -> ModelGlob.of(g).matches(model));
    }
}
