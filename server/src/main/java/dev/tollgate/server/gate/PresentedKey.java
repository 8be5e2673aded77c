package dev.tollgate.server.gate;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/**
 * The virtual key, from wherever the client puts it: {@code Authorization: Bearer} (OpenAI clients,
 * Codex, Claude Code with ANTHROPIC_AUTH_TOKEN), {@code x-api-key} (Claude Code), {@code x-goog-api-key}
 * or {@code ?key=} (Gemini clients).
 */
public final class PresentedKey {

    private static final HeaderName X_API_KEY = HeaderNames.create("x-api-key");
    private static final HeaderName X_GOOG_API_KEY = HeaderNames.create("x-goog-api-key");

    private PresentedKey() {
    }

    /** The secret, or {@code null} when the request carries none. */
    public static String from(ServerRequest req) {
        var headers = req.headers();
        String auth = headers.first(HeaderNames.AUTHORIZATION).orElse(null);
        if (auth != null && auth.length() > 7 && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String secret = auth.substring(7).trim();
            if (!secret.isEmpty()) {
                return secret;
            }
        }
        String key = headers.first(X_API_KEY).or(() -> headers.first(X_GOOG_API_KEY)).orElse(null);
        if (key != null && !key.isBlank()) {
            return key.trim();
        }
        return req.query().first("key").filter(k -> !k.isBlank()).orElse(null);
    }
}
