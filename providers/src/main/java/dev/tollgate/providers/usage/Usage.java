package dev.tollgate.providers.usage;

/**
 * Tokens one response consumed, in the provider-neutral terms pricing needs. Input counts every
 * prompt token, cache reads and writes included; {@code cachedInputTokens} says how many were reads,
 * {@code cacheWriteTokens} how many were written to the cache (of which {@code cacheWrite1hTokens}
 * with a one-hour lifetime, the rest five minutes). Output counts every generated token, reasoning
 * included; {@code reasoningTokens} says how many of them were reasoning.
 */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens,
                    long reasoningTokens, long cacheWrite1hTokens) {

    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0);

    /** Usage without one-hour cache writes (every shape but Anthropic's extended cache). */
    public Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens, long reasoningTokens) {
        this(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, 0);
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /** Input tokens billed at the plain input price: neither read from nor written to the cache. */
    public long uncachedInputTokens() {
        return Math.max(0, inputTokens - cachedInputTokens - cacheWriteTokens);
    }

    public long cacheWrite5mTokens() {
        return Math.max(0, cacheWriteTokens - cacheWrite1hTokens);
    }
}
