package dev.tollgate.policy;

/**
 * A provider kind by its policy name ({@code kind: openai}). Which kinds exist, and what settings each
 * takes, is up to the installed {@link ProviderSpecs}: each provider's adapter brings its own.
 */
public record ProviderKind(String id) {

    public ProviderKind {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a provider kind needs a name");
        }
    }

    public static ProviderKind of(String id) {
        return new ProviderKind(id);
    }

    @Override
    public String toString() {
        return id;
    }
}
