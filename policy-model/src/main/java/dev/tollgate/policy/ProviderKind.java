package dev.tollgate.policy;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of upstream provider the gateway knows how to call. */
public enum ProviderKind {
    OPENAI("openai"),
    AZURE_OPENAI("azure-openai"),
    /** Anything speaking OpenAI's API at its own base URL: Groq, Mistral, Cerebras, xAI, Ollama, vLLM, ... */
    OPENAI_COMPATIBLE("openai-compatible"),
    /** Anthropic's own Messages API ({@code x-api-key}, {@code anthropic-version}). */
    ANTHROPIC("anthropic"),
    /** Google AI Studio's Gemini API (API key). */
    GEMINI("gemini"),
    /** Amazon Bedrock's Converse API, signed with AWS SigV4 ({@code settings.region}, credentials by reference). */
    BEDROCK("bedrock"),
    /**
     * Google Vertex AI: Gemini and Claude in a Google Cloud project, OAuth access tokens from a
     * service-account key; {@code settings.project} and {@code settings.location} name the endpoint.
     */
    VERTEX("vertex");

    private final String id;

    ProviderKind(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<ProviderKind> byId(String id) {
        return Arrays.stream(values()).filter(k -> k.id.equals(id)).findFirst();
    }
}
