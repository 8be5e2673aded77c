package dev.tollgate.providers.usage;

/**
 * Tokens one response consumed, in the provider-neutral terms pricing needs. Input counts every
 * prompt token, cached reads included; {@code cachedInputTokens} says how many of them were reads.
 */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens,
                    long reasoningTokens) {

    public static final Usage NONE = new Usage(0, 0, 0, 0, 0);

    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
