package dev.tollgate.providers.usage;

import dev.tollgate.providers.json.Bytes;
import java.nio.charset.StandardCharsets;

/**
 * Counts the hosted web searches in an OpenAI Responses answer: its output items of type
 * {@code web_search_call}. OpenAI bills each one on top of tokens but reports them in no usage field.
 * The answer is scanned, not parsed: an unescaped {@code "web_search_call"} right after a
 * {@code "type":} key is an item's type (inside a string the quotes would be escaped).
 */
final class WebSearchCalls {

    private static final byte[] VALUE = "\"web_search_call\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY = "\"type\"".getBytes(StandardCharsets.US_ASCII);

    private WebSearchCalls() {
    }

    static long in(byte[] json) {
        long n = 0;
        for (int at = Bytes.indexOf(json, VALUE, 0); at >= 0; at = Bytes.indexOf(json, VALUE, at + VALUE.length)) {
            if (afterTypeKey(json, at)) {
                n++;
            }
        }
        return n;
    }

    private static boolean afterTypeKey(byte[] json, int valueAt) {
        int i = skipSpaceBackwards(json, valueAt - 1);
        if (i < 0 || json[i] != ':') {
            return false;
        }
        int keyEnd = skipSpaceBackwards(json, i - 1) + 1;
        int keyStart = keyEnd - KEY.length;
        if (keyStart < 0) {
            return false;
        }
        for (int k = 0; k < KEY.length; k++) {
            if (json[keyStart + k] != KEY[k]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpaceBackwards(byte[] json, int i) {
        while (i >= 0 && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) {
            i--;
        }
        return i;
    }
}
