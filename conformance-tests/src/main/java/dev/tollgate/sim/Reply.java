package dev.tollgate.sim;

import java.util.List;

/**
 * The answer to one request, decided before any format writes it.
 *
 * @param id           response id, in the format's own prefix style
 * @param model        model echoed back
 * @param created      seconds since the epoch
 * @param inputTokens  input tokens to report
 * @param includeUsage OpenAI chat streams only: emit the usage chunk
 * @param answer       text or a tool call
 * @param choices      how many answers were asked for (chat's {@code n}, Gemini's {@code candidateCount}); each costs its output
 * @param cache        of the input tokens, those read from and written to the prompt cache
 * @param thinking     Anthropic only: thinking was asked for, so a tool call comes after signed and redacted thinking
 * @param searches     hosted web searches the model ran before answering (Anthropic's web_search tool, Gemini's
 *                     Google Search grounding, when the request offered them), reported as each provider does
 */
record Reply(String id, String model, long created, int inputTokens, boolean includeUsage, Answer answer, int choices,
             PromptCache.Use cache, boolean thinking, int searches) {

    /** An answer whose input touched no prompt cache, without thinking. */
    Reply(String id, String model, long created, int inputTokens, boolean includeUsage, Answer answer, int choices) {
        this(id, model, created, inputTokens, includeUsage, answer, choices, PromptCache.Use.NONE, false, 0);
    }

    Reply {
        cache = cache.within(inputTokens);
    }

    /** Input neither read from nor written to the cache (Anthropic's and Bedrock's input_tokens). */
    int uncachedInputTokens() {
        return inputTokens - cache.read() - cache.write();
    }

    /** Output tokens to report: every choice's, as the providers bill them. */
    int outputTokens() {
        return answer.outputTokens() * choices;
    }

    int totalTokens() {
        return inputTokens + outputTokens();
    }

    /** What the model "says". */
    sealed interface Answer permits Text, ToolCall {
        /** Output tokens by the simulator's definition: one per streamed token. */
        int outputTokens();
    }

    /** Plain text, streamed one chunk (token) at a time. */
    record Text(List<String> chunks, String text) implements Answer {
        static Text of(List<String> chunks) {
            return new Text(chunks, String.join("", chunks));
        }

        @Override
        public int outputTokens() {
            return chunks.size();
        }
    }

    /**
     * A call of the client's shell tool.
     *
     * @param callId         id the client must echo with the result
     * @param name           tool name
     * @param namespace      Responses API only: the namespace the tool was offered in, or null
     * @param custom         Responses API only: a free-form (custom) tool, whose input is raw text, not JSON
     * @param arguments      the arguments as a JSON object text (a custom tool's raw input)
     * @param argumentChunks the arguments split into the streamed fragments (their count = output tokens)
     */
    record ToolCall(String callId, String name, String namespace, boolean custom, String arguments,
                    List<String> argumentChunks) implements Answer {
        @Override
        public int outputTokens() {
            return argumentChunks.size();
        }
    }
}
