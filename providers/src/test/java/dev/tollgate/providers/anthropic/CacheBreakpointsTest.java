package dev.tollgate.providers.anthropic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.openai.ResponsesCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where the gateway puts Anthropic's cache breakpoints on a translated request, and that it never puts more than four. */
class CacheBreakpointsTest {

    /** A Codex-like Responses request: instructions, a tool, and {@code turns} user turns each with a tool round trip. */
    private static String codexTurns(int turns) {
        StringBuilder input = new StringBuilder();
        for (int t = 0; t < turns; t++) {
            if (!input.isEmpty()) {
                input.append(',');
            }
            input.append("{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"turn ").append(t).append("\"}]}");
            if (t < turns - 1) {
                input.append(",{\"type\":\"function_call\",\"call_id\":\"c").append(t).append("\",\"name\":\"exec_command\",\"arguments\":\"{}\"}")
                        .append(",{\"type\":\"function_call_output\",\"call_id\":\"c").append(t).append("\",\"output\":\"ok\"}")
                        .append(",{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"done ")
                        .append(t).append("\"}]}");
            }
        }
        return "{\"model\":\"m\",\"instructions\":\"You are Codex.\",\"stream\":true,\"input\":[" + input + "],"
                + "\"tools\":[{\"type\":\"function\",\"name\":\"exec_command\",\"parameters\":{\"type\":\"object\"}},"
                + "{\"type\":\"function\",\"name\":\"read\",\"parameters\":{\"type\":\"object\"}}]}";
    }

    private static JsonNode translated(String responsesBody, String ttl) throws Exception {
        byte[] anthropic = AnthropicCodec.INSTANCE.encodeRequest(ResponsesCodec.INSTANCE.decodeRequest(
                JsonBody.parse(responsesBody.getBytes(StandardCharsets.UTF_8))));
        return Json.parse(CacheBreakpoints.place(anthropic, ttl));
    }

    /** Paths of the blocks carrying cache_control, in request order (tools, system, messages). */
    private static List<String> marked(JsonNode root) {
        List<String> at = new ArrayList<>();
        JsonNode tools = root.path("tools");
        for (int i = 0; i < tools.size(); i++) {
            if (tools.get(i).has("cache_control")) {
                at.add("tools[" + i + "]");
            }
        }
        JsonNode system = root.path("system");
        for (int i = 0; i < system.size(); i++) {
            if (system.get(i).has("cache_control")) {
                at.add("system[" + i + "]");
            }
        }
        JsonNode messages = root.path("messages");
        for (int m = 0; m < messages.size(); m++) {
            JsonNode content = messages.get(m).path("content");
            for (int b = 0; b < content.size(); b++) {
                if (content.get(b).has("cache_control")) {
                    at.add("messages[" + m + "].content[" + b + "]");
                }
            }
        }
        return at;
    }

    @Test
    void aMultiTurnConversationGetsToolsSystemThePreviousTurnAndThisOne() throws Exception {
        JsonNode root = translated(codexTurns(3), "5m");
        JsonNode messages = root.path("messages");
        // user, assistant(call), user(result), assistant(text), user, ... : the last two user turns end the prefixes.
        int last = messages.size() - 1;
        int previous = last - 2;
        assertEquals("user", messages.get(previous).path("role").asText());
        assertEquals(List.of("tools[1]", "system[0]", "messages[" + previous + "].content[" + (messages.get(previous).path("content").size() - 1) + "]",
                "messages[" + last + "].content[0]"), marked(root));
        assertEquals("{\"type\":\"ephemeral\"}", messages.get(last).path("content").get(0).path("cache_control").toString(),
                "five minutes is Anthropic's default: no ttl field");
    }

    @Test
    void theFirstTurnHasNoPreviousTurnToMark() throws Exception {
        JsonNode root = translated(codexTurns(1), "1h");
        assertEquals(List.of("tools[1]", "system[0]", "messages[0].content[0]"), marked(root));
        assertEquals("1h", root.path("system").get(0).path("cache_control").path("ttl").asText());
    }

    @Test
    void breakpointsTheClientAlreadySetCountAndThePreviousTurnComesFirst() {
        String body = """
                {"model":"m","max_tokens":10,
                 "tools":[{"name":"a","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
                 "system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":"one"},{"role":"assistant","content":"two"},
                             {"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":[{"type":"text","text":"r","cache_control":{"type":"ephemeral"}}]}]},
                             {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"}]},
                             {"role":"user","content":"three"}]}""";
        JsonNode root = Json.parse(CacheBreakpoints.place(body.getBytes(StandardCharsets.UTF_8), "5m"));
        assertEquals(4, CacheBreakpoints.count(root), root.toString());
        assertTrue(root.path("messages").get(2).path("content").get(0).has("cache_control"), "one free slot: the previous turn's end");
        assertFalse(root.path("messages").get(4).path("content").isArray() && root.path("messages").get(4).path("content").get(0).has("cache_control"));
    }

    @Test
    void aFullRequestIsLeftByteForByte() {
        byte[] body = """
                {"model":"m","system":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"c","cache_control":{"type":"ephemeral"}},{"type":"text","text":"d","cache_control":{"type":"ephemeral"}}]}]}"""
                .getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(body, CacheBreakpoints.place(body, "5m"));
    }

    @Test
    void neverMoreThanFourWhateverTheShape() throws Exception {
        for (int turns = 1; turns <= 12; turns++) {
            JsonNode root = translated(codexTurns(turns), "5m");
            int n = CacheBreakpoints.count(root);
            assertTrue(n >= 1 && n <= CacheBreakpoints.MAX, turns + " turns: " + n);
            // placing again adds nothing: the request is full or already marked
            JsonNode again = Json.parse(CacheBreakpoints.place(Json.bytes(root), "5m"));
            assertTrue(CacheBreakpoints.count(again) <= CacheBreakpoints.MAX);
        }
        JsonNode bare = Json.parse(CacheBreakpoints.place("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8), "5m"));
        assertEquals(List.of("messages[0].content[0]"), marked(bare), "a string content becomes a block that can carry one");
    }

    @Test
    void thinkingBlocksNeverCarryOne() {
        byte[] body = """
                {"model":"m","messages":[{"role":"user","content":"q"},
                 {"role":"assistant","content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"t","signature":"s"}]},
                 {"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]}]}""".getBytes(StandardCharsets.UTF_8);
        JsonNode root = Json.parse(CacheBreakpoints.place(body, "5m"));
        assertEquals(List.of("messages[0].content[0]", "messages[2].content[0]"), marked(root));
    }
}
