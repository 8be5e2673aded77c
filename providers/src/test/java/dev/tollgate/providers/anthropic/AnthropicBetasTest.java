package dev.tollgate.providers.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnthropicBetasTest {

    /** Claude Code 2.1.197's list (canon-claude captures) with the betas its newer releases add. */
    private static final String CLAUDE_CODE = "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,"
            + "thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05, effort-2025-11-24";

    @Test
    void vertexKeepsWhatItTakesInTheClientsOrderAndSaysWhatItLeftOut() {
        AnthropicBetas.Filtered f = AnthropicBetas.filter(CLAUDE_CODE, AnthropicBetas.VERTEX);
        assertEquals("context-1m-2025-08-07,interleaved-thinking-2025-05-14,context-management-2025-06-27", f.header());
        assertEquals(List.of("claude-code-20250219", "thinking-token-count-2026-05-13", "prompt-caching-scope-2026-01-05", "effort-2025-11-24"),
                f.dropped());
    }

    @Test
    void nothingLeftMeansNoHeader() {
        assertNull(AnthropicBetas.filter("claude-code-20250219", AnthropicBetas.VERTEX).header());
        assertNull(AnthropicBetas.filter(null, AnthropicBetas.VERTEX).header());
    }
}
