package dev.tollgate.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.call.AgentSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the pinned clients send, from their captured requests (../shared/captures): the session each
 * names, and the tool call each request answers.
 */
class AgentSessionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CAPTURES = Path.of("/work/shared/captures");

    private static JsonNode capture(String name) throws Exception {
        return JSON.readTree(Files.readString(CAPTURES.resolve(name)));
    }

    private static Optional<AgentSession> session(JsonNode capture) {
        JsonNode headers = capture.path("headers");
        JsonNode pck = capture.path("body").path("prompt_cache_key");
        return AgentSession.from(name -> Optional.ofNullable(headers.get(name)).map(JsonNode::asText),
                pck.isTextual() ? Optional.of(pck.asText()) : Optional.empty());
    }

    @Test
    void eachClientNamesItsSessionWhereTheCapturesShow() throws Exception {
        assertEquals(Optional.of(new AgentSession("01a20f4b-9459-7403-8a20-fac3a18bd29a", null)),
                session(capture("canon-codex-0002-POST-_v1_responses.trimmed.json")), "Codex: session-id, thread-id the same");
        assertEquals(Optional.of(new AgentSession("0898d376-b644-4f93-9955-abffc460b26f", null)),
                session(capture("canon-claude-0002-POST-_anthropic_v1_messages.trimmed.json")), "Claude Code: x-claude-code-session-id");
        assertEquals(Optional.empty(), session(capture("canon-gemini-0002-POST-_v1beta_models_gemini-3.8-flash_streamGenerateContent.trimmed.json")),
                "Gemini CLI 0.61 names none");
    }

    @Test
    void ourHeaderWinsAndSubagentsAreNamed() {
        Map<String, String> h = Map.of("x-tollgate-session", "mine", "x-claude-code-session-id", "theirs", "x-claude-code-agent-id", "agent-7");
        assertEquals(Optional.of(new AgentSession("mine", "agent-7")), AgentSession.from(n -> Optional.ofNullable(h.get(n)), Optional.empty()));
        Map<String, String> codex = Map.of("session-id", "s1", "thread-id", "t2");
        assertEquals(Optional.of(new AgentSession("s1", "t2")), AgentSession.from(n -> Optional.ofNullable(codex.get(n)), Optional.empty()),
                "a Codex thread other than the session's is a subagent's");
        // Not a session id (too long, bad characters): ignored, as for stickiness.
        Map<String, String> bad = Map.of("x-tollgate-session", "a b", "session-id", "x".repeat(129));
        assertEquals(Optional.empty(), AgentSession.from(n -> Optional.ofNullable(bad.get(n)), Optional.empty()));
    }

    @Test
    void theToolCallARequestAnswersInEachFormat() throws Exception {
        // Codex's tool round trip (CLIENTS.md; the captures are trimmed there): the function_call and its output end the input.
        String codex = "{\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"hi\"},{\"type\":\"function_call\",\"call_id\":\"c1\","
                + "\"name\":\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\\\"echo hi\\\"}\"},{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"hi\"}]}";
        Optional<ToolCall> c = ToolCall.answeredBy(Api.RESPONSES, JsonBody.parse(codex.getBytes()));
        assertEquals("exec_command", c.orElseThrow().name());
        assertEquals(1, c.get().position());
        String claude = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
                + "\"id\":\"t1\",\"name\":\"Bash\",\"input\":{\"command\":\"echo tool-ok\"}}]},{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"tool-ok\"}]}]}";
        assertEquals("Bash", ToolCall.answeredBy(Api.MESSAGES, JsonBody.parse(claude.getBytes())).orElseThrow().name());
        JsonNode gemini = capture("canon-gemini-0003-POST-_v1beta_models_gemini-3.8-flash_streamGenerateContent.trimmed.json").path("body");
        Optional<ToolCall> g = ToolCall.answeredBy(Api.GEMINI, JsonBody.parse(JSON.writeValueAsBytes(gemini)));
        assertEquals("list_directory", g.orElseThrow().name(), "Gemini CLI's captured round trip");
        // A first turn answers nothing.
        JsonNode first = capture("canon-codex-0001-POST-_v1_responses.trimmed.json").path("body");
        assertEquals(Optional.empty(), ToolCall.answeredBy(Api.RESPONSES, JsonBody.parse(JSON.writeValueAsBytes(first))));
    }

    @Test
    void aClaudeCodeSubagentsToolResultCountsThoughASystemMessageFollowsIt() throws Exception {
        // Claude Code 2.1.197's subagents end their messages with a role "system" reminder after the tool result.
        String subagent = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"run it\"}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{\"command\":\"echo ok\"}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"ok\"}]},"
                + "{\"role\":\"system\",\"content\":\"<system-reminder>\"}]}";
        assertEquals("Bash", ToolCall.answeredBy(Api.MESSAGES, JsonBody.parse(subagent.getBytes())).orElseThrow().name());
        // A first turn followed by such a reminder answers nothing.
        String first = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"run it\"}]},"
                + "{\"role\":\"system\",\"content\":\"<system-reminder>\"}]}";
        assertEquals(Optional.empty(), ToolCall.answeredBy(Api.MESSAGES, JsonBody.parse(first.getBytes())));
    }
}
