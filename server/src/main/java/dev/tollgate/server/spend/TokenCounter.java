package dev.tollgate.server.spend;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.util.Set;

/**
 * Counts a request's input tokens with a real tokenizer (OpenAI's o200k_base, via jtokkit), over
 * the string values of the body: the prompt, messages, instructions and tool descriptions. Field
 * names, ids and opaque blobs (encrypted reasoning, data URLs) are skipped; a few tokens per message
 * of framing are added. For non-OpenAI models it is an estimate within ~10-20%, which budgets only
 * need at admission: settling uses the provider's own count.
 */
public final class TokenCounter {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    private static final Set<String> SKIP = Set.of("model", "id", "call_id", "encrypted_content", "prompt_cache_key",
            "previous_response_id", "signature", "thoughtSignature", "data", "image_url", "file_data", "user", "safety_identifier");
    /** Per message / item framing tokens OpenAI documents for chat formats. */
    private static final int PER_OBJECT = 3;

    private TokenCounter() {
    }

    public static long count(byte[] body) {
        long tokens = 0;
        try (JsonParser p = JSON.createParser(body)) {
            String field = null;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                switch (t) {
                    case FIELD_NAME -> field = p.currentName();
                    case START_OBJECT -> tokens += PER_OBJECT;
                    case VALUE_STRING -> {
                        if (field == null || !SKIP.contains(field)) {
                            String text = p.getText();
                            if (!text.startsWith("data:")) {
                                tokens += ENCODING.countTokensOrdinary(text);
                            }
                        }
                    }
                    default -> { }
                }
            }
        } catch (IOException e) {
            // The surface already parsed the body; a failure here only makes the estimate smaller.
            return Math.max(tokens, body.length / 4);
        }
        return tokens;
    }
}
