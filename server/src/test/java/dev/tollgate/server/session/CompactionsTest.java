package dev.tollgate.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Where a Responses request says a compaction happened, as Codex 0.169 sends it to OpenAI and to any other provider. */
class CompactionsTest {

    private static Compactions of(String input) throws Exception {
        return Compactions.of(Api.RESPONSES, JsonBody.parse(("{\"model\":\"m\",\"input\":[" + input + "]}").getBytes(StandardCharsets.UTF_8)));
    }

    private static String user(String text) {
        return "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}";
    }

    @Test
    void openAisRemoteCompaction() throws Exception {
        Compactions asks = of(user("fix it") + ",{\"type\":\"compaction_trigger\"}");
        assertTrue(asks.trigger());
        assertTrue(asks.latest().isEmpty());
        Compactions after = of(user("fix it") + ",{\"type\":\"compaction\",\"encrypted_content\":\"abc\"}");
        assertFalse(after.trigger());
        assertTrue(after.latest().isPresent());
    }

    @Test
    void codexsOwnCompactionOnAnotherProvider() throws Exception {
        // Codex's summary request ends with its compaction prompt; the history after it holds the handoff summary.
        Compactions asks = of(user("fix it") + "," + user("You are performing a CONTEXT CHECKPOINT COMPACTION. Create a handoff summary"));
        assertTrue(asks.trigger());
        Compactions after = of(user("fix it") + "," + user("Another language model started to solve this problem and produced a summary"
                + " of its thinking process.\\nThe build is fixed."));
        assertFalse(after.trigger());
        assertTrue(after.latest().isPresent(), "the summary marks a compaction");
        Compactions next = of(user("fix it") + "," + user("Another language model started to solve this problem and produced a summary"
                + " of its thinking process.\\nThe tests pass now."));
        assertNotEquals(after.latest(), next.latest(), "a new summary is a new compaction");
        // Someone merely quoting the words later in a message is no compaction.
        assertEquals(Compactions.NONE, of(user("fix it. You are performing a CONTEXT CHECKPOINT COMPACTION")));
    }
}
