package dev.tollgate.providers.anthropic;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which {@code anthropic-beta} values a backend serving Claude takes. Anthropic itself takes them all;
 * Vertex AI answers 400 "Unexpected value(s) ... for the anthropic-beta header" to any it does not know,
 * and Claude Code sends several of those on every turn (claude-code-20250219, effort-2025-11-24,
 * prompt-caching-scope-2026-01-05, ...). So values outside a backend's list are left out, and the caller
 * records which.
 *
 * <p>Vertex's list, as of 2026-12: Google's Claude-on-Vertex pages and the errors Vertex returns in
 * anthropics/claude-code#12429, #34802 and claude-agent-sdk-typescript#307 (effort, web-search,
 * tool-search's first-party name, structured outputs refused); context-1m, interleaved thinking,
 * context management, computer use, compaction and tool-search-tool-2025-10-19 taken.
 */
public final class AnthropicBetas {

    /** Taken by Claude on Vertex AI (rawPredict / streamRawPredict). */
    public static final Set<String> VERTEX = Set.of("context-1m-2025-08-07", "interleaved-thinking-2025-05-14",
            "context-management-2025-06-27", "computer-use-2025-01-24", "computer-use-2025-11-24", "tool-search-tool-2025-10-19",
            "compact-2026-01-12");

    /** A header's values split into those the backend takes and those left out, in the client's order. */
    public record Filtered(List<String> kept, List<String> dropped) {

        /** The header to send, or null when no value is left. */
        public String header() {
            return kept.isEmpty() ? null : String.join(",", kept);
        }
    }

    private AnthropicBetas() {
    }

    public static Filtered filter(String header, Set<String> taken) {
        List<String> kept = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        if (header != null) {
            for (String value : header.split(",")) {
                String v = value.strip();
                if (v.isEmpty() || kept.contains(v) || dropped.contains(v)) {
                    continue;
                }
                (taken.contains(v) ? kept : dropped).add(v);
            }
        }
        return new Filtered(List.copyOf(kept), List.copyOf(dropped));
    }
}
