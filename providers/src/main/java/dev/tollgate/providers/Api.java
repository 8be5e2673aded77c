package dev.tollgate.providers;

/** The client-facing APIs the gateway relays, each with its own request and stream shape. */
public enum Api {
    CHAT_COMPLETIONS("chat/completions"),
    RESPONSES("responses"),
    EMBEDDINGS("embeddings");

    private final String path;

    Api(String path) {
        this.path = path;
    }

    /** The path under an OpenAI-style base URL. */
    public String path() {
        return path;
    }
}
