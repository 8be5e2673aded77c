package dev.tollgate.providers.usage;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Each provider's usage object turned into {@link Usage}. The shapes disagree on what "input" and
 * "output" include, so each is normalized here: input includes cache reads and writes, output
 * includes reasoning.
 *
 * <p>A usage object that is not what the provider documents (a count missing, negative, fractional,
 * text, or beyond any real request) is {@link Usage#NONE}: the request is then charged its
 * reservation, never priced from zeros or from a number nobody can bill.
 */
public final class ProviderUsage {

    /** More tokens than any request carries: a count above it is garbage, not usage. */
    static final long MAX_TOKENS = 1_000_000_000_000L;

    private ProviderUsage() {
    }

    /** Thrown (without a stack) when a count cannot be read; the caller answers {@link Usage#NONE}. */
    private static final class Unreadable extends Exception {
        Unreadable() {
            super(null, null, false, false);
        }
    }

    /** A count the provider reported: absent is {@code otherwise}, or unreadable when required; anything but a whole number in range is unreadable. */
    private static long count(JsonNode u, String field, boolean required, long otherwise) throws Unreadable {
        JsonNode n = u.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new Unreadable();
            }
            return otherwise;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0 || n.asLong() > MAX_TOKENS) {
            throw new Unreadable();
        }
        return n.asLong();
    }

    private static long count(JsonNode u, String field, boolean required) throws Unreadable {
        return count(u, field, required, 0);
    }

    private static String tier(JsonNode n) {
        return n != null && n.isTextual() && !n.asText().isBlank() ? n.asText() : null;
    }

    /**
     * OpenAI chat completions: prompt_tokens include cached_tokens (and, from GPT-5.6, cache_write_tokens);
     * completion_tokens include reasoning_tokens. Embeddings report prompt_tokens only.
     */
    public static Usage openAiChat(JsonNode u) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        try {
            JsonNode details = u.path("prompt_tokens_details");
            return new Usage(count(u, "prompt_tokens", true), count(u, "completion_tokens", false),
                    count(details, "cached_tokens", false), count(details, "cache_write_tokens", false),
                    count(u.path("completion_tokens_details"), "reasoning_tokens", false));
        } catch (Unreadable e) {
            return Usage.NONE;
        }
    }

    /**
     * OpenAI Responses: the same inclusions as chat under other names. GPT-5.6 and later report the
     * tokens written to the prompt cache in {@code input_tokens_details.cache_write_tokens}, billed at 1.25x input.
     */
    public static Usage openAiResponses(JsonNode u) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        try {
            JsonNode details = u.path("input_tokens_details");
            return new Usage(count(u, "input_tokens", true), count(u, "output_tokens", true),
                    count(details, "cached_tokens", false), count(details, "cache_write_tokens", false),
                    count(u.path("output_tokens_details"), "reasoning_tokens", false));
        } catch (Unreadable e) {
            return Usage.NONE;
        }
    }

    /** The tier an OpenAI response says it was served in ({@code service_tier} beside its usage); null when absent. */
    public static String openAiServiceTier(JsonNode response) {
        return tier(response.get("service_tier"));
    }

    /**
     * Anthropic Messages: input_tokens exclude cache reads and writes, which come apart; writes are
     * split by lifetime in {@code cache_creation} (ephemeral_5m / ephemeral_1h), else all 5-minute.
     */
    public static Usage anthropic(JsonNode u) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        try {
            long read = count(u, "cache_read_input_tokens", false);
            long write = count(u, "cache_creation_input_tokens", false);
            JsonNode split = u.path("cache_creation");
            long write1h = count(split, "ephemeral_1h_input_tokens", false);
            if (split.isObject() && write == 0) {
                write = count(split, "ephemeral_5m_input_tokens", false) + write1h;
            }
            return new Usage(count(u, "input_tokens", true) + read + write, count(u, "output_tokens", true), read, write, 0,
                    Math.min(write1h, write), webSearches(u, 0), tier(u.get("service_tier")));
        } catch (Unreadable e) {
            return Usage.NONE;
        }
    }

    /**
     * A later usage object of an Anthropic stream (message_delta, cumulative): what it states replaces
     * the earlier count, what it leaves out (often everything but output_tokens) stays.
     */
    public static Usage anthropic(JsonNode u, Usage before) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        try {
            long read = count(u, "cache_read_input_tokens", false, before.cachedInputTokens());
            long write = count(u, "cache_creation_input_tokens", false, before.cacheWriteTokens());
            long write1h = count(u.path("cache_creation"), "ephemeral_1h_input_tokens", false, before.cacheWrite1hTokens());
            long plain = count(u, "input_tokens", false, before.uncachedInputTokens());
            String tier = tier(u.get("service_tier"));
            return new Usage(plain + read + write, count(u, "output_tokens", false, before.outputTokens()), read, write,
                    before.reasoningTokens(), Math.min(write1h, write), webSearches(u, before.webSearches()),
                    tier != null ? tier : before.serviceTier());
        } catch (Unreadable e) {
            return Usage.NONE;
        }
    }

    /** Searches Anthropic's web_search server tool ran, billed per search. */
    private static long webSearches(JsonNode u, long otherwise) throws Unreadable {
        return count(u.path("server_tool_use"), "web_search_requests", false, otherwise);
    }

    /**
     * Gemini usageMetadata: promptTokenCount includes cachedContentTokenCount; candidatesTokenCount
     * excludes thoughtsTokenCount, which is billed as output. Zero counts are left out of the JSON.
     */
    public static Usage gemini(JsonNode u) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        try {
            long thoughts = count(u, "thoughtsTokenCount", false);
            return new Usage(count(u, "promptTokenCount", true), count(u, "candidatesTokenCount", false) + thoughts,
                    count(u, "cachedContentTokenCount", false), 0, thoughts);
        } catch (Unreadable e) {
            return Usage.NONE;
        }
    }

    /**
     * Bedrock Converse: inputTokens exclude cacheReadInputTokens and cacheWriteInputTokens (totalTokens
     * adds all four), so both are added in; {@code cacheDetails} splits the writes by lifetime.
     */
    public static Usage bedrock(JsonNode u) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        try {
            long read = count(u, "cacheReadInputTokens", false);
            long write = count(u, "cacheWriteInputTokens", false);
            long write1h = 0;
            for (JsonNode detail : u.path("cacheDetails")) { // writes by lifetime, when a cache point asked for 1h
                if ("1h".equals(detail.path("ttl").asText())) {
                    write1h += count(detail, "inputTokens", false);
                }
            }
            return new Usage(count(u, "inputTokens", true) + read + write, count(u, "outputTokens", true), read, write, 0,
                    Math.min(write1h, write));
        } catch (Unreadable e) {
            return Usage.NONE;
        }
    }
}
