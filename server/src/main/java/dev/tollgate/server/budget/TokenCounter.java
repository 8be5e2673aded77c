package dev.tollgate.server.budget;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts a request's input tokens with a real tokenizer (OpenAI's o200k_base, via jtokkit), over
 * the string values of the body: the prompt, messages, instructions and tool descriptions. Field
 * names, ids and opaque blobs (encrypted reasoning, data URLs) are skipped; a few tokens per message
 * of framing are added. For non-OpenAI models it is an estimate within ~10-20%, which budgets only
 * need at admission: settling uses the provider's own count.
 *
 * <p>Tokenizing is the one costly step of admission, and agents resend their whole
 * history every turn, so counts are remembered per string value in a fixed table (direct-mapped,
 * 64K entries, one long each: a 40-bit tag of the value's hash and length, 24 bits of its count),
 * hashed straight from the parser's buffer. A collision only means a value is tokenized again; a
 * false match (same 32-bit hash and length modulo 256) only skews an estimate that settling
 * corrects anyway.
 */
public final class TokenCounter {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    private static final Set<String> SKIP = Set.of("model", "id", "call_id", "encrypted_content", "prompt_cache_key",
            "previous_response_id", "signature", "thoughtSignature", "data", "image_url", "file_data", "user", "safety_identifier",
            "type", "role", "status", "object");
    private static final int SLOTS = 1 << 16;
    private static final long COUNT_MASK = (1L << 24) - 1;
    private static final AtomicLongArray CACHE = new AtomicLongArray(SLOTS);
    /** Values this short cost less to tokenize than to hash and look up. */
    private static final int CACHE_FROM = 24;
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
                            // The parser's own buffer: no String per value unless it must be tokenized.
                            char[] chars = p.getTextCharacters();
                            int offset = p.getTextOffset();
                            int length = p.getTextLength();
                            if (!startsWith(chars, offset, length, "data:")) {
                                tokens += tokens(chars, offset, length);
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

    /** One value's count, as {@link #count} takes it (for tests). */
    static long tokens(String text) {
        return tokens(text.toCharArray(), 0, text.length());
    }

    private static long tokens(char[] chars, int offset, int length) {
        if (length < CACHE_FROM) {
            return ENCODING.countTokensOrdinary(new String(chars, offset, length));
        }
        long hash = hash(chars, offset, length);
        int slot = (int) (hash ^ (hash >>> 32)) & (SLOTS - 1);
        long tag = hash & ~COUNT_MASK;
        long entry = CACHE.getPlain(slot);
        if ((entry & ~COUNT_MASK) == tag) {
            return entry & COUNT_MASK;
        }
        long count = ENCODING.countTokensOrdinary(new String(chars, offset, length));
        if (count <= COUNT_MASK) {
            CACHE.setPlain(slot, tag | count);
        }
        return count;
    }

    private static boolean startsWith(char[] chars, int offset, int length, String prefix) {
        if (length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (chars[offset + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The chars' {@link String#hashCode()} polynomial in the high 32 bits and the length's low 8 bits
     * below: the 40 bits a cache entry is tagged with. Four chars a step, so the multiply chain is a
     * quarter as long as the textbook loop's.
     */
    static long hash(char[] c, int offset, int length) {
        int h = 0;
        int i = offset;
        int end = offset + length;
        for (; i + 3 < end; i += 4) {
            h = h * 923_521 + c[i] * 29_791 + c[i + 1] * 961 + c[i + 2] * 31 + c[i + 3];
        }
        for (; i < end; i++) {
            h = 31 * h + c[i];
        }
        return ((long) h << 32) | ((long) (length & 0xff) << 24) | ((h * 0x9E3779B1) & 0xffffffL);
    }
}
