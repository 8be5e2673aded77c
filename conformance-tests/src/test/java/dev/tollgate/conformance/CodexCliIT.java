package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real Codex CLI (pinned, from npm) through the gateway process to the simulator. */
class CodexCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = """
            providers:
              - id: sim
                kind: openai-compatible
                base_url: http://127.0.0.1:SIM_PORT/v1
            models:
              - name: gpt-5.5
                targets: [{provider: sim, model: gpt-5.5}]
            """;
    private static Stack stack;
    private static Path codex;

    @BeforeAll
    static void start() throws Exception {
        codex = Cli.npmBin("codex", "TOLLGATE_CODEX_BIN");
        stack = Stack.start("codex", POLICY);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @BeforeEach
    void clearSim() throws Exception {
        stack.delete(stack.sim("/_sim/requests"));
    }

    private static Cli.Result codex(List<String> config, Map<String, String> env) throws Exception {
        Path home = Files.createTempDirectory(stack.workDir, "codex-home-");
        Path codexHome = Files.createDirectories(home.resolve(".codex"));
        List<String> command = new ArrayList<>(List.of(codex.toString(), "exec", "--skip-git-repo-check", "--ephemeral", "-m", "gpt-5.5"));
        command.addAll(config);
        command.addAll(List.of("-c", "analytics.enabled=false", "--disable", "plugins", "--disable", "apps",
                "Run the shell command `echo tollgate-tool-ok` and tell me what it printed."));
        Map<String, String> allEnv = new java.util.HashMap<>(env);
        allEnv.put("CODEX_HOME", codexHome.toString());
        return Cli.run(command, allEnv, home);
    }

    /** What the simulator received on its Responses endpoint, oldest first. */
    private static List<JsonNode> responsesCalls() throws Exception {
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode r : JSON.readTree(stack.get(stack.sim("/_sim/requests")).body())) {
            if (r.path("path").asText().endsWith("/responses")) {
                calls.add(r);
            }
        }
        return calls;
    }

    private static void assertToolRoundTrip(Cli.Result result) throws Exception {
        assertEquals(0, result.exit(), result.all());
        List<JsonNode> calls = responsesCalls();
        assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + result.all());

        JsonNode first = calls.get(0).path("body");
        assertTrue(first.path("stream").asBoolean(), "Codex always streams");
        assertEquals("gpt-5.5", first.path("model").asText());
        assertTrue(first.has("internal_chat_message_metadata_passthrough") || first.toString().contains("internal_chat_message_metadata_passthrough")
                || first.has("client_metadata") || first.has("prompt_cache_key"), "Codex's non-standard fields pass through: " + first);

        JsonNode second = calls.get(1).path("body").path("input");
        JsonNode output = null;
        for (JsonNode item : second) {
            if ("function_call_output".equals(item.path("type").asText())) {
                output = item;
            }
        }
        assertTrue(output != null, "the second turn carries the tool's output: " + second);
        assertTrue(output.path("output").toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + output);
        assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());
    }

    @Test
    void customProviderDoesAToolRoundTripThroughTheGateway() throws Exception {
        Cli.Result result = codex(List.of(
                "-c", "model_provider=\"gw\"",
                "-c", "model_providers.gw={name=\"gw\",base_url=\"http://127.0.0.1:" + stack.gatewayPort
                        + "/v1\",env_key=\"GW_API_KEY\",wire_api=\"responses\",supports_websockets=false}"),
                Map.of("GW_API_KEY", "tg-test-key"));
        assertToolRoundTrip(result);
    }

    @Test
    void builtInProviderFallsBackFromWebSocketAtOnce() throws Exception {
        Cli.Result result = codex(List.of("-c", "openai_base_url=\"http://127.0.0.1:" + stack.gatewayPort + "/openai\""),
                Map.of("CODEX_API_KEY", "tg-test-key"));
        assertToolRoundTrip(result);
        System.out.println("codex exec (built-in provider, tool round trip) took " + result.millis() + " ms");
    }
}
