package dev.tollgate.server.call;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The agent session a request belongs to, as its client names it, and the subagent that sent it.
 * Client input: each id is a {@link SessionId} (bounded length and characters) or ignored. A session is
 * always scoped to the key that sent it ({@code session.Sessions.Key}): the same id under another key
 * is another session.
 *
 * <p>Where the pinned clients name it (checked against their captured requests): Codex CLI sends
 * {@code session-id} (and {@code thread-id}, which a subagent's thread changes) and the same id as the
 * body's {@code prompt_cache_key}; Claude Code sends {@code X-Claude-Code-Session-Id} and, from a
 * subagent, {@code x-claude-code-agent-id}; Gemini CLI 0.61 sends no session id on the API-key path
 * (set one with {@code GEMINI_CLI_CUSTOM_HEADERS="x-tollgate-session: ID"}). Any client may send
 * {@code x-tollgate-session} (and {@code x-tollgate-agent}), which win.
 *
 * @param agent the subagent's id, or null for the main agent
 */
public record AgentSession(String id, String agent) {

    /** Headers naming a subagent, first valid one wins. */
    public static final List<String> AGENT_HEADERS = List.of("x-tollgate-agent", "x-claude-code-agent-id");
    /** Codex's thread: equal to its session id on the main agent, another id on a subagent's thread. */
    public static final String CODEX_THREAD = "thread-id";

    /** The session named by the headers ({@link SessionId#HEADERS}, in order), else the body's {@code prompt_cache_key}. */
    public static Optional<AgentSession> from(Function<String, Optional<String>> header, Optional<String> promptCacheKey) {
        Optional<String> id = SessionId.named(header, promptCacheKey);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        String agent = null;
        for (String name : AGENT_HEADERS) {
            agent = header.apply(name).flatMap(SessionId::of).orElse(null);
            if (agent != null) {
                break;
            }
        }
        if (agent == null) {
            String session = id.get();
            agent = header.apply(CODEX_THREAD).flatMap(SessionId::of).filter(t -> !t.equals(session)).orElse(null);
        }
        return Optional.of(new AgentSession(id.get(), agent));
    }
}
