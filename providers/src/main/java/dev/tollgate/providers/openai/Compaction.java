package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.json.JsonBody;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Codex's remote compaction on an upstream that is not OpenAI's: a {@code compaction_trigger} input
 * item asks for exactly one {@code compaction} output item. The gateway asks the session's model for
 * a summary (an ordinary, governed call) and returns it as a compaction item whose
 * {@code encrypted_content} is the summary sealed with AES-GCM under a key only the gateway holds,
 * so a client can neither read nor forge it; on a later turn the item is opened and becomes the
 * summary as context. Items another server sealed (OpenAI's) cannot be opened here and are dropped.
 */
public final class Compaction {

    /** What a sealed item starts with: this gateway's format, version 1. */
    public static final String PREFIX = "tgc1.";
    /** The instruction the summary is asked with, in place of the trigger. */
    static final String PROMPT = "Context compaction: the conversation above is about to be replaced by a summary. Write that summary "
            + "now, for yourself to continue the task from: the user's goal and constraints, what has been done and found (files, "
            + "commands, results, decisions), what is still open, and the next step. Be complete but concise; do not call tools.";
    /** How an opened summary is put back into the conversation. */
    static final String RESUMED = "Summary of the conversation so far (compacted by the gateway):\n\n";

    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Codecs are stateless singletons: the key is the process's, set once at start (a random one until then). */
    private static volatile SecretKey key = new SecretKeySpec(RANDOM.generateSeed(32), "AES");

    private Compaction() {
    }

    /** The key summaries are sealed with: 32 bytes (AES-256), the same on every node that serves a session. */
    public static void configure(byte[] aes256) {
        if (aes256.length != 32) {
            throw new IllegalArgumentException("the compaction key must be 32 bytes (AES-256), not " + aes256.length);
        }
        key = new SecretKeySpec(aes256.clone(), "AES");
    }

    /** True when the input's last item is a {@code compaction_trigger}. */
    public static boolean triggered(JsonNode input) {
        return input != null && input.isArray() && !input.isEmpty()
                && "compaction_trigger".equals(input.get(input.size() - 1).path("type").asText());
    }

    /**
     * A Responses input for an OpenAI upstream, which cannot read this gateway's sealed items (a
     * session that moved from a translated model): each becomes its summary as a user message, as on
     * a translated upstream; one that does not open (another key) is left out, as OpenAI's own are on
     * a translated upstream. Empty when the body holds none, so the body goes up untouched.
     */
    public static Optional<byte[]> openedForOpenAi(JsonBody body) {
        if (!contains(body.bytes(), PREFIX.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        JsonNode input = body.node("input");
        if (input == null || !input.isArray()) {
            return Optional.empty();
        }
        ArrayNode out = Json.object().arrayNode();
        boolean changed = false;
        for (JsonNode item : input) {
            String type = item.path("type").asText();
            String content = Json.text(item, "encrypted_content");
            if ((type.equals("compaction") || type.equals("compaction_summary")) && content != null && content.startsWith(PREFIX)) {
                changed = true;
                open(content).ifPresent(summary -> out.addObject().put("type", "message").put("role", "user").putArray("content")
                        .addObject().put("type", "input_text").put("text", RESUMED + summary));
            } else {
                out.add(item);
            }
        }
        return changed ? Optional.of(Json.bytes(out)) : Optional.empty();
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static String seal(String summary) {
        try {
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(PREFIX.getBytes(StandardCharsets.US_ASCII));
            byte[] sealed = cipher.doFinal(summary.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    /** The summary a sealed item holds; empty when it is not this gateway's or was altered. */
    public static Optional<String> open(String encrypted) {
        if (encrypted == null || !encrypted.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            byte[] all = Base64.getUrlDecoder().decode(encrypted.substring(PREFIX.length()));
            if (all.length <= NONCE) {
                return Optional.empty();
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE));
            cipher.updateAAD(PREFIX.getBytes(StandardCharsets.US_ASCII));
            return Optional.of(new String(cipher.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return Optional.empty();
        }
    }
}
