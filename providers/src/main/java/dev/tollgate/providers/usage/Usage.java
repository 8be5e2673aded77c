package dev.tollgate.providers.usage;

/**
 * Tokens one response consumed, in the provider-neutral terms pricing needs. Input counts every
 * prompt token, cache reads and writes included; {@code cachedInputTokens} says how many were reads,
 * {@code cacheWriteTokens} how many were written to the cache (of which {@code cacheWrite1hTokens}
 * with a one-hour lifetime, the rest five minutes). Output counts every generated token, reasoning
 * included; {@code reasoningTokens} says how many of them were reasoning. {@code webSearches} counts
 * the provider's hosted web searches (OpenAI's web_search tool, Anthropic's web_search server tool),
 * which are billed per search on top of tokens. {@code serviceTier} is the tier the provider says it
 * served the request in (OpenAI's {@code flex}, {@code priority}), null when it did not say.
 */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens,
                    long reasoningTokens, long cacheWrite1hTokens, long webSearches, String serviceTier) {

    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0, 0);

    /** Usage whose service tier the provider did not report. */
    public Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens, long reasoningTokens,
                 long cacheWrite1hTokens, long webSearches) {
        this(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, cacheWrite1hTokens, webSearches, null);
    }

    /** Usage without hosted web searches. */
    public Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens, long reasoningTokens,
                 long cacheWrite1hTokens) {
        this(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, cacheWrite1hTokens, 0);
    }

    /** Usage without one-hour cache writes (every shape but Anthropic's extended cache). */
    public Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens, long reasoningTokens) {
        this(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, 0, 0);
    }

    public Usage withWebSearches(long searches) {
        return new Usage(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, cacheWrite1hTokens, searches, serviceTier);
    }

    /** This usage served in {@code tier} (null: not reported). */
    public Usage withServiceTier(String tier) {
        return new Usage(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, reasoningTokens, cacheWrite1hTokens, webSearches, tier);
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
