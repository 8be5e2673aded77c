package dev.tollgate.providers.bedrock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bedrock's cachePoint blocks on a Converse request for Claude: the same places as Anthropic's breakpoints, at most four. */
class CachePointsTest {

    private static final String CONVERSATION = """
            {"system":[{"text":"You are Codex."}],
             "messages":[{"role":"user","content":[{"text":"one"}]},
                         {"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"sh","input":{}}}]},
                         {"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"text":"ok"}],"status":"success"}}]},
                         {"role":"assistant","content":[{"text":"done"}]},
                         {"role":"user","content":[{"text":"two"}]}],
             "toolConfig":{"tools":[{"toolSpec":{"name":"sh","inputSchema":{"json":{"type":"object"}}}}]}}""";

    private static JsonNode last(JsonNode array) {
        return array.get(array.size() - 1);
    }

    @Test
    void toolsSystemPreviousTurnAndThisTurnEachEndInACachePoint() {
        JsonNode root = Json.parse(CachePoints.place(CONVERSATION.getBytes(StandardCharsets.UTF_8), "5m"));
        assertEquals("{\"cachePoint\":{\"type\":\"default\"}}", last(root.path("toolConfig").path("tools")).toString());
        assertEquals("{\"cachePoint\":{\"type\":\"default\"}}", last(root.path("system")).toString());
        JsonNode messages = root.path("messages");
        assertTrue(last(messages.get(2).path("content")).has("cachePoint"), "the previous turn: " + messages.get(2));
        assertTrue(last(messages.get(4).path("content")).has("cachePoint"), "this turn: " + messages.get(4));
        assertEquals(1, messages.get(0).path("content").size(), "older turns are left alone");
        assertEquals(1, messages.get(3).path("content").size(), "assistant turns are left alone");
    }

    @Test
    void anHourLongTtlIsAskedForAndTheClientsPointsCount() {
        String three = CONVERSATION.replace("{\"text\":\"You are Codex.\"}", "{\"text\":\"You are Codex.\"},{\"cachePoint\":{\"type\":\"default\"}},"
                + "{\"text\":\"more\"},{\"cachePoint\":{\"type\":\"default\"}},{\"text\":\"end\"},{\"cachePoint\":{\"type\":\"default\"}}");
        JsonNode root = Json.parse(CachePoints.place(three.getBytes(StandardCharsets.UTF_8), "1h"));
        int points = 0;
        for (JsonNode s : root.path("system")) {
            points += s.has("cachePoint") ? 1 : 0;
        }
        for (JsonNode m : root.path("messages")) {
            for (JsonNode b : m.path("content")) {
                points += b.has("cachePoint") ? 1 : 0;
            }
        }
        for (JsonNode t : root.path("toolConfig").path("tools")) {
            points += t.has("cachePoint") ? 1 : 0;
        }
        assertEquals(4, points, root.toString());
        assertEquals("{\"type\":\"default\",\"ttl\":\"1h\"}", last(root.path("messages").get(2).path("content")).path("cachePoint").toString());
    }
}
