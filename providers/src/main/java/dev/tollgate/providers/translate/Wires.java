package dev.tollgate.providers.translate;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Vertex;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.bedrock.ConverseCodec;
import dev.tollgate.providers.gemini.GeminiCodec;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.openai.ChatCodec;
import dev.tollgate.providers.openai.ResponsesCodec;
import java.util.Optional;

/** Which wire format an upstream speaks for a client's call, and each format's codec. */
public final class Wires {

    private Wires() {
    }

    /**
     * The API the provider is called with. OpenAI-format providers answer OpenAI clients in their own
     * API unless the provider's {@code settings.api} (responses | chat) says it speaks only one;
     * Anthropic clients get Responses from OpenAI and Azure, chat from other compatible servers.
     * On Vertex the model's publisher decides: Claude speaks Messages, Gemini the Gemini API.
     */
    public static Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
        String declared = provider.settings().get("api");
        return switch (provider.kind()) {
            case ANTHROPIC -> client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.MESSAGES);
            case GEMINI -> client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.GEMINI);
            case BEDROCK -> client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.CONVERSE);
            case VERTEX -> client == Api.EMBEDDINGS ? Optional.empty()
                    : Optional.of(Vertex.publisher(provider, upstreamModel) == Vertex.Publisher.ANTHROPIC ? Api.MESSAGES : Api.GEMINI);
            case OPENAI, AZURE_OPENAI, OPENAI_COMPATIBLE -> {
                if (client == Api.EMBEDDINGS) {
                    yield Optional.of(Api.EMBEDDINGS);
                }
                if ("chat".equals(declared)) {
                    yield Optional.of(Api.CHAT_COMPLETIONS);
                }
                if ("responses".equals(declared)) {
                    yield Optional.of(Api.RESPONSES);
                }
                if (client == Api.RESPONSES || client == Api.CHAT_COMPLETIONS) {
                    yield Optional.of(client);
                }
                yield Optional.of(provider.kind() == dev.tollgate.policy.ProviderKind.OPENAI_COMPATIBLE ? Api.CHAT_COMPLETIONS : Api.RESPONSES);
            }
        };
    }

    public static WireCodec codec(Api api) {
        return switch (api) {
            case RESPONSES -> ResponsesCodec.INSTANCE;
            case CHAT_COMPLETIONS -> ChatCodec.INSTANCE;
            case MESSAGES -> AnthropicCodec.INSTANCE;
            case GEMINI -> GeminiCodec.INSTANCE;
            case CONVERSE -> ConverseCodec.INSTANCE;
            case EMBEDDINGS -> throw new IllegalArgumentException("embeddings are never translated");
        };
    }
}
