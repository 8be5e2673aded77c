package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The real Gemini CLI (pinned, from npm) through the gateway's Gemini surface on an Anthropic model. */
class GeminiCliIT {

    private static final String POLICY = """
            providers:
              - id: sim-anthropic
                kind: anthropic
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: anthropic/claude-sonnet-4-5
                targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]
            """;
    private static final String SETTINGS = """
            {"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false},
             "general":{"enableAutoUpdate":false,"enableAutoUpdateNotification":false,"maxAttempts":1}}
            """;

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("gemini", POLICY).clearingSim(StackExtension.REQUESTS);

    @Test
    void shellToolRoundTripOnAnAnthropicModel() throws Exception {
        Path home = Cli.home(stack.get(), "gemini");
        Files.writeString(Files.createDirectories(home.resolve(".gemini")).resolve("settings.json"), SETTINGS);
        // --yolo offers run_shell_command, the shell tool the simulator calls.
        Cli.Result result = Cli.run(List.of(Cli.gemini().toString(), "--skip-trust", "--yolo", "-m", "anthropic/claude-sonnet-4-5", "-p", Cli.TOOL_PROMPT),
                Map.of("GOOGLE_GEMINI_BASE_URL", stack.get().gateway("/genai"),
                        "GEMINI_API_KEY", "tg-test-key",
                        "GEMINI_CLI_NO_RELAUNCH", "true"),
                home);
        assertEquals(0, result.exit(), result.all());
        assertTrue(result.stdout().contains("Tool said:") && result.stdout().contains("tollgate-tool-ok"),
                "the model's last answer quotes the tool's output: " + result.all());

        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(2, calls.size(), "one turn asking for the tool, one with its result (finishReason ended each): " + SimRequests.all(stack.get()));
        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("stream").asBoolean());
        assertTrue(first.path("system").get(0).path("text").asText().contains("Gemini CLI"), "systemInstruction became the system prompt");
        assertTrue(first.path("tools").toString().contains("\"run_shell_command\""));
        JsonNode messages = calls.get(1).path("body").path("messages");
        JsonNode turn = messages.get(messages.size() - 2).path("content");
        JsonNode use = turn.get(turn.size() - 1);
        // Gemini CLI asks for thoughts; Claude thought before it called the tool, and Gemini CLI carried that
        // back in the call's thought signature.
        assertEquals("enabled", first.path("thinking").path("type").asText(), first.path("thinking").toString());
        assertEquals("thinking", turn.get(0).path("type").asText(), turn.toString());
        assertEquals("redacted_thinking", turn.get(1).path("type").asText(), turn.toString());
        JsonNode res = messages.get(messages.size() - 1).path("content").get(0);
        assertEquals("tool_use", use.path("type").asText());
        assertEquals("echo tollgate-tool-ok", use.path("input").path("command").asText());
        assertEquals("tool_result", res.path("type").asText());
        assertEquals(use.path("id").asText(), res.path("tool_use_id").asText());
        assertTrue(res.toString().contains("tollgate-tool-ok"), "Gemini CLI really ran the command: " + res);
    }
}
