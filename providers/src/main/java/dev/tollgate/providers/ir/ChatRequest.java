package dev.tollgate.providers.ir;

import java.util.List;

/**
 * One model call in neutral terms. Nullable fields were not set by the client; encoders leave them
 * out so the upstream's defaults apply.
 *
 * @param messages system instructions are SYSTEM messages, in the place the client put them
 */
public record ChatRequest(String model, List<Message> messages, List<Tool> tools, ToolChoice toolChoice,
                          Boolean parallelToolCalls, Integer maxTokens, Double temperature, Double topP,
                          List<String> stop, Reasoning reasoning, boolean stream, ResponseFormat responseFormat) {

    /** A request that asks for no particular answer format. */
    public ChatRequest(String model, List<Message> messages, List<Tool> tools, ToolChoice toolChoice, Boolean parallelToolCalls,
                       Integer maxTokens, Double temperature, Double topP, List<String> stop, Reasoning reasoning, boolean stream) {
        this(model, messages, tools, toolChoice, parallelToolCalls, maxTokens, temperature, topP, stop, reasoning, stream, null);
    }

    public ChatRequest {
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public ChatRequest withModel(String upstreamModel) {
        return new ChatRequest(upstreamModel, messages, tools, toolChoice, parallelToolCalls, maxTokens, temperature, topP,
                stop, reasoning, stream, responseFormat);
    }

    public ChatRequest withMessages(List<Message> replaced) {
        return new ChatRequest(model, replaced, tools, toolChoice, parallelToolCalls, maxTokens, temperature, topP, stop, reasoning, stream,
                responseFormat);
    }

    /** For upstream models that refuse any reasoning parameter (OpenAI's non-reasoning models do). */
    public ChatRequest withoutReasoning() {
        return new ChatRequest(model, messages, tools, toolChoice, parallelToolCalls, maxTokens, temperature, topP, stop, null, stream, responseFormat);
    }

    /**
     * Clients set their own ceiling (Claude Code asks for 64,000 tokens); a model with a lower one
     * would refuse the call rather than stop early.
     */
    public ChatRequest withMaxTokensAtMost(int limit) {
        Integer capped = maxTokens == null ? null : Math.min(maxTokens, limit);
        return new ChatRequest(model, messages, tools, toolChoice, parallelToolCalls, capped, temperature, topP, stop, reasoning, stream,
                responseFormat);
    }

    public Tool tool(String name) {
        for (Tool t : tools) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
