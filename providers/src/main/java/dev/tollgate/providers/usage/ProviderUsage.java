package dev.tollgate.providers.usage;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Each provider's usage object turned into {@link Usage}. The shapes disagree on what "input" and
 * "output" include, so each is normalized here: input includes cache reads and writes, output
 * includes reasoning.
 */
public final class ProviderUsage {

    private ProviderUsage() {
    }

    /** OpenAI chat completions: prompt_tokens include cached_tokens; completion_tokens include reasoning_tokens. */
    public static Usage openAiChat(JsonNode u) {
        return new Usage(u.path("prompt_tokens").asLong(), u.path("completion_tokens").asLong(),
                u.path("prompt_tokens_details").path("cached_tokens").asLong(), 0,
                u.path("completion_tokens_details").path("reasoning_tokens").asLong());
    }

    /** OpenAI Responses: the same inclusions as chat under other names. */
    public static Usage openAiResponses(JsonNode u) {
        return new Usage(u.path("input_tokens").asLong(), u.path("output_tokens").asLong(),
                u.path("input_tokens_details").path("cached_tokens").asLong(), 0,
                u.path("output_tokens_details").path("reasoning_tokens").asLong());
    }

    /**
     * Anthropic Messages: input_tokens exclude cache reads and writes, which come apart; writes are
     * split by lifetime in {@code cache_creation} (ephemeral_5m / ephemeral_1h), else all 5-minute.
     */
    public static Usage anthropic(JsonNode u) {
        long read = u.path("cache_read_input_tokens").asLong();
        long write = u.path("cache_creation_input_tokens").asLong();
        JsonNode split = u.path("cache_creation");
        long write1h = split.path("ephemeral_1h_input_tokens").asLong();
        if (split.isObject() && write == 0) {
            write = split.path("ephemeral_5m_input_tokens").asLong() + write1h;
        }
        return new Usage(u.path("input_tokens").asLong() + read + write, u.path("output_tokens").asLong(), read, write, 0,
                Math.min(write1h, write), webSearches(u, 0));
    }

    /**
     * A later usage object of an Anthropic stream (message_delta, cumulative): what it states replaces
     * the earlier count, what it leaves out (often everything but output_tokens) stays.
     */
    public static Usage anthropic(JsonNode u, Usage before) {
        long read = u.has("cache_read_input_tokens") ? u.path("cache_read_input_tokens").asLong() : before.cachedInputTokens();
        long write = u.has("cache_creation_input_tokens") ? u.path("cache_creation_input_tokens").asLong() : before.cacheWriteTokens();
        long write1h = u.path("cache_creation").path("ephemeral_1h_input_tokens").asLong(before.cacheWrite1hTokens());
        long plain = u.has("input_tokens") ? u.path("input_tokens").asLong() : before.uncachedInputTokens();
        return new Usage(plain + read + write, u.path("output_tokens").asLong(before.outputTokens()), read, write,
                before.reasoningTokens(), Math.min(write1h, write), webSearches(u, before.webSearches()));
    }

    /** Searches Anthropic's web_search server tool ran, billed per search. */
    private static long webSearches(JsonNode u, long otherwise) {
        return u.path("server_tool_use").path("web_search_requests").asLong(otherwise);
    }

    /**
     * Gemini usageMetadata: promptTokenCount includes cachedContentTokenCount; candidatesTokenCount
     * excludes thoughtsTokenCount, which is billed as output.
     */
    public static Usage gemini(JsonNode u) {
        long thoughts = u.path("thoughtsTokenCount").asLong();
        return new Usage(u.path("promptTokenCount").asLong(), u.path("candidatesTokenCount").asLong() + thoughts,
                u.path("cachedContentTokenCount").asLong(), 0, thoughts);
    }

    /**
     * Bedrock Converse: inputTokens exclude cacheReadInputTokens and cacheWriteInputTokens (totalTokens
     * adds all four), so both are added in; {@code cacheDetails} splits the writes by lifetime.
     */
    public static Usage bedrock(JsonNode u) {
        long read = u.path("cacheReadInputTokens").asLong();
        long write = u.path("cacheWriteInputTokens").asLong();
        long write1h = 0;
        for (JsonNode detail : u.path("cacheDetails")) { // writes by lifetime, when a cache point asked for 1h
            if ("1h".equals(detail.path("ttl").asText())) {
                write1h += detail.path("inputTokens").asLong();
            }
        }
        return new Usage(u.path("inputTokens").asLong() + read + write, u.path("outputTokens").asLong(), read, write, 0,
                Math.min(write1h, write));
    }
}
