package dev.tollgate.server.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Input tokens are counted with o200k_base over the prompt's text, not over JSON punctuation or ids. */
class TokenCounterTest {

    private static final String TEXT = "Explain the difference between a process and a thread, with an example in Java and one in Rust.";

    @Test
    void countsTheTextOnceCachedOrNot() {
        long real = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE).countTokensOrdinary(TEXT);
        assertEquals(real, TokenCounter.tokens(TEXT));
        assertEquals(real, TokenCounter.tokens(TEXT), "the second count comes from the cache and agrees");
        assertEquals(real, TokenCounter.tokens(new String(TEXT.toCharArray())), "an equal string from another request hits too");
    }

    @Test
    void aBodyCountsItsTextAndFramingButNotIdsOrOpaqueBlobs() {
        String body = "{\"model\":\"gpt-5.5\",\"input\":[{\"type\":\"message\",\"role\":\"user\",\"id\":\"msg_0123456789abcdef0123456789\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"" + TEXT + "\"}]},"
                + "{\"type\":\"reasoning\",\"encrypted_content\":\"" + "QUJD".repeat(500) + "\"}]}";
        long text = TokenCounter.tokens(TEXT);
        long counted = TokenCounter.count(body.getBytes(StandardCharsets.UTF_8));
        assertTrue(counted >= text && counted <= text + 20, "counted " + counted + " for " + text + " tokens of text");
    }

    @Test
    void theCacheKeysOnTheStringHashOfTheValue() {
        for (String text : List.of("", "abc", "abcd", "abcdefg", TEXT, TEXT + "\u00e9\u4e2d")) {
            char[] chars = ("xx" + text + "yy").toCharArray();
            assertEquals(text.hashCode(), (int) (TokenCounter.hash(chars, 2, text.length()) >>> 32), text);
        }
    }
}
