package dev.tollgate.providers.translate;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.anthropic.AnthropicCodec;
import dev.tollgate.providers.bedrock.ConverseCodec;
import dev.tollgate.providers.gemini.GeminiCodec;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.openai.ChatCodec;
import dev.tollgate.providers.openai.CompactCodec;
import dev.tollgate.providers.openai.ResponsesCodec;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.UsageTap;

/** Each wire format's codec (which format a provider speaks is its adapter's to say). */
public final class Wires {

    private Wires() {
    }

    /**
     * The encoder of a translated stream for a client of {@code api}: a chat client gets the usage
     * chunk only when it asked for it, as from OpenAI itself.
     */
    public static WireCodec.StreamEncoder streamEncoder(Api api, ChatRequest client, JsonBody clientBody) {
        return switch (api) {
            case CHAT_COMPLETIONS -> ChatCodec.INSTANCE.streamEncoder(client, UsageTap.clientAskedForUsage(clientBody));
            case RESPONSES -> ResponsesCodec.INSTANCE.streamEncoder(client, clientBody);
            default -> codec(api).streamEncoder(client);
        };
    }

    /** A whole answer for a client of {@code api}; the compaction endpoint gives back the client's own user messages. */
    public static byte[] encodeResponse(Api api, ChatResponse response, ChatRequest client, JsonBody clientBody) {
        return api == Api.RESPONSES_COMPACT ? CompactCodec.INSTANCE.encodeResponse(response, client, clientBody)
                : codec(api).encodeResponse(response, client);
    }

    public static WireCodec codec(Api api) {
        return switch (api) {
            case RESPONSES -> ResponsesCodec.INSTANCE;
            case RESPONSES_COMPACT -> CompactCodec.INSTANCE;
            case CHAT_COMPLETIONS -> ChatCodec.INSTANCE;
            case MESSAGES -> AnthropicCodec.INSTANCE;
            case GEMINI -> GeminiCodec.INSTANCE;
            case CONVERSE -> ConverseCodec.INSTANCE;
            case EMBEDDINGS -> throw new IllegalArgumentException("embeddings are never translated");
        };
    }
}
