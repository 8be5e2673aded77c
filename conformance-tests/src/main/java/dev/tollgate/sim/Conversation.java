package dev.tollgate.sim;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the simulator needs to know about a request, whatever its wire format.
 *
 * @param model          the model asked for (echoed back)
 * @param stream         whether the client asked for a stream
 * @param includeUsage   OpenAI chat only: {@code stream_options.include_usage}
 * @param inputChars     characters of all text in the conversation (see {@link InputText})
 * @param shellTool      name of the offered shell-like tool, or null
 * @param toolNamespace  Responses API: the namespace that tool came in, or null
 * @param hasToolResult  whether the conversation already holds a tool result
 * @param lastToolOutput text of the last tool result, or null
 * @param jsonSchema     Gemini structured output schema asked for, or null
 */
record Conversation(String model,
                    boolean stream,
                    boolean includeUsage,
                    int inputChars,
                    String shellTool,
                    String toolNamespace,
                    boolean hasToolResult,
                    String lastToolOutput,
                    JsonNode jsonSchema) {

    /** Input tokens by the simulator's definition: ceil(chars / 4), at least 1. */
    int inputTokens() {
        return Math.max(1, (inputChars + 3) / 4);
    }

    Conversation withStream(boolean s) {
        return new Conversation(model, s, includeUsage, inputChars, shellTool, toolNamespace, hasToolResult, lastToolOutput, jsonSchema);
    }
}
