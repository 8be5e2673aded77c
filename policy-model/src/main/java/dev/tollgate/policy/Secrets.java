package dev.tollgate.policy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Virtual-key secrets (made, hashed) and the scan that keeps raw secrets out of the policy. */
public final class Secrets {

    /** Prefix of the secrets {@code tollgate keys new} makes, so a pasted one is recognised. */
    public static final String KEY_PREFIX = "tg-";

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Never updated, only cloned: safe to share between threads. */
    private static final MessageDigest SHA256 = sha256Digest();

    private record Shape(String what, Pattern pattern) {
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape("an Anthropic API key", Pattern.compile("sk-ant-[A-Za-z0-9_-]{16,}")),
            new Shape("an OpenAI-style API key", Pattern.compile("\\bsk-[A-Za-z0-9_-]{16,}")),
            new Shape("an AWS access key id", Pattern.compile("\\b(AKIA|ASIA)[0-9A-Z]{16}\\b")),
            new Shape("a Google API key", Pattern.compile("\\bAIza[0-9A-Za-z_-]{30,}")),
            new Shape("a GitHub token", Pattern.compile("\\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}")),
            new Shape("a GitLab token", Pattern.compile("\\bglpat-[A-Za-z0-9_-]{20,}")),
            new Shape("a Slack token", Pattern.compile("\\bxox[abprs]-[A-Za-z0-9-]{10,}")),
            new Shape("a bearer token", Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]{12,}")),
            new Shape("a private key", Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----")),
            new Shape("a password in a URL", Pattern.compile("\\b[a-z][a-z0-9+.-]*://[^/\\s:@]+:[^/\\s@]{3,}@")),
            new Shape("a virtual key's plaintext", Pattern.compile("\\b" + KEY_PREFIX + "[A-Za-z0-9_-]{20,}")));

    private Secrets() {
    }

    /** A new virtual-key secret: 32 random bytes, URL-safe. */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Lower-case hex SHA-256 of the secret as sent by the client: what the policy stores. */
    public static String sha256(String secret) {
        try {
            // A clone of one digest: getInstance looks the provider up again on every call (every request).
            MessageDigest digest = (MessageDigest) SHA256.clone();
            return HexFormat.of().formatHex(digest.digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Enough of a secret to find the line, never enough to use it. */
    public static String redact(String text) {
        return text.length() <= 8 ? "****" : text.substring(0, 4) + "…(" + text.length() + " chars)";
    }

    /** Every line of the file that looks like it holds a raw secret, comments included. */
    static List<Problem> scan(String file, byte[] bytes) {
        List<Problem> found = new ArrayList<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            for (Shape shape : SHAPES) {
                Matcher m = shape.pattern.matcher(lines[i]);
                if (m.find()) {
                    found.add(new Problem(new SourcePos(file, i + 1, m.start() + 1), "this looks like " + shape.what
                            + " (" + redact(m.group()) + "). The policy is read by every reviewer: never commit a secret. "
                            + "Revoke it, put it in the gateway's environment and reference it as env:NAME or file:PATH"
                            + " (virtual keys: store only sha256, see `tollgate keys new`)."));
                    break;
                }
            }
        }
        return found;
    }
}
