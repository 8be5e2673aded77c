package dev.tollgate.server.call;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A conversation's id as clients send it (x-tollgate-session, Codex's session_id, session-id): at most
 * 128 characters of letters, digits and {@code . _ : -} (UUIDs, ULIDs, "team:task-42"). Anything else
 * is ignored, not refused: stickiness only helps a prompt cache, and an agent whose own header we do
 * not control must keep working. Ignored means not used for stickiness and not passed upstream.
 */
public final class SessionId {

    /** Where clients send one: the gateway's own header, Codex's two spellings and Claude Code's. */
    public static final java.util.List<String> HEADERS = java.util.List.of("x-tollgate-session", "session-id", "session_id",
            "x-claude-code-session-id");

    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    private SessionId() {
    }

    public static boolean valid(String value) {
        return value != null && value.length() <= MAX_LENGTH && VALID.matcher(value).matches();
    }

    /** The value when it is a usable session id. */
    public static Optional<String> of(String value) {
        return valid(value) ? Optional.of(value) : Optional.empty();
    }

    /**
     * The session a request names: the first usable id in {@link #HEADERS}, else the body's
     * {@code prompt_cache_key} (Responses and chat clients such as Codex name their conversation there).
     */
    public static Optional<String> named(java.util.function.Function<String, Optional<String>> header, Optional<String> promptCacheKey) {
        for (String name : HEADERS) {
            Optional<String> id = header.apply(name).flatMap(SessionId::of);
            if (id.isPresent()) {
                return id;
            }
        }
        return promptCacheKey.flatMap(SessionId::of);
    }
}
