package dev.tollgate.providers.usage;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * The output a stream relayed to its client (text, tool-call arguments, reasoning), counted in tokens
 * (OpenAI's o200k_base, as the gateway counts input) only when asked: a stream cut before the provider
 * reported its count is charged this much output. Text waits uncounted in a buffer, counted a few
 * kilobytes at a time at a space so no word is split. One per stream; not thread-safe.
 */
public final class RelayedOutput {

    private static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    /** Buffered chars past which the buffer's head is counted (bounds the memory a long answer holds). */
    private static final int COUNT_FROM = 16 * 1024;

    private final StringBuilder pending = new StringBuilder();
    private long counted;

    public void add(CharSequence text) {
        pending.append(text);
        if (pending.length() >= COUNT_FROM) {
            int cut = pending.lastIndexOf(" ");
            if (cut <= 0) {
                cut = pending.length();
            }
            counted += ENCODING.countTokensOrdinary(pending.substring(0, cut));
            pending.delete(0, cut);
        }
    }

    /** Tokens relayed so far. */
    public long tokens() {
        if (!pending.isEmpty()) {
            counted += ENCODING.countTokensOrdinary(pending.toString());
            pending.setLength(0);
        }
        return counted;
    }

    /** Whether anything generated was relayed. */
    public boolean isEmpty() {
        return counted == 0 && pending.isEmpty();
    }

    /** o200k_base tokens of one text (for tests and callers that count a whole text). */
    public static long tokens(String text) {
        return ENCODING.countTokensOrdinary(text);
    }
}
