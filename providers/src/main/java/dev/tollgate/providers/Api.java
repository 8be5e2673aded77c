package dev.tollgate.providers;

/** The client-facing APIs the gateway relays, each with its own request and stream shape. */
public enum Api {
    CHAT_COMPLETIONS("chat/completions"),
    RESPONSES("responses"),
    /** Responses' compaction endpoint: the history in, the kept user messages and one opaque compaction item out; never streamed. */
    RESPONSES_COMPACT("responses/compact"),
    EMBEDDINGS("embeddings"),
    /** Anthropic Messages. */
    MESSAGES("messages"),
    /** Gemini's generateContent; the model and the method are in the path, not the body. */
    GEMINI("models"),
    /** Amazon Bedrock's Converse; the model is in the path ({@code /model/{id}/converse-stream}). Upstream only. */
    CONVERSE("model");

    private final String path;

    Api(String path) {
        this.path = path;
    }

    /** The path under the provider's base URL (OpenAI's {@code .../v1}, Anthropic's {@code .../v1}). */
    public String path() {
        return path;
    }
}
