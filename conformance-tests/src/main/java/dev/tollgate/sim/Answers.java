package dev.tollgate.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/** Decides what to answer: a shell tool call, a quote of the last tool result, or plain words. */
final class Answers {
    static final String MARKER_COMMAND = "echo tollgate-tool-ok";
    /** Tool-call arguments are always streamed in this many fragments, so output tokens are fixed. */
    static final int ARGUMENT_CHUNKS = 3;
    static final int TOOL_OUTPUT_QUOTE_LIMIT = 200;

    private static final String[] WORDS = {"Hello", "from", "the", "Tollgate", "provider", "simulator,", "all", "good."};

    /** Shell-like tools the real agents offer, and the arguments that make each run the marker command. */
    private static final Map<String, String> SHELL_TOOL_ARGUMENTS = Map.of(
            "exec_command", "{\"cmd\":\"echo tollgate-tool-ok\"}",
            "shell", "{\"command\":[\"bash\",\"-lc\",\"echo tollgate-tool-ok\"]}",
            "Bash", "{\"command\":\"echo tollgate-tool-ok\",\"description\":\"Print a marker\"}",
            "run_shell_command", "{\"command\":\"echo tollgate-tool-ok\"}",
            "bash", "{\"command\":\"echo tollgate-tool-ok\",\"description\":\"Print a marker\"}"); // opencode

    private static final Map<String, List<String>> SHELL_TOOL_CHUNKS = Map.of(
            "exec_command", split(SHELL_TOOL_ARGUMENTS.get("exec_command")),
            "shell", split(SHELL_TOOL_ARGUMENTS.get("shell")),
            "Bash", split(SHELL_TOOL_ARGUMENTS.get("Bash")),
            "run_shell_command", split(SHELL_TOOL_ARGUMENTS.get("run_shell_command")),
            "bash", split(SHELL_TOOL_ARGUMENTS.get("bash")));

    /**
     * Claude Code's tools that start a subagent ({@code Agent} in 2.1.197, {@code Task} before), and the
     * call that starts one: a general-purpose subagent given the marker command's task (which holds no
     * {@code tollgate-subagents} marker, so the subagent runs its shell tool instead of starting another).
     */
    private static final String SUBAGENT_ARGUMENTS = "{\"description\":\"Run the marker command\",\"subagent_type\":\"general-purpose\","
            + "\"prompt\":\"Run the shell command `echo tollgate-tool-ok` and tell me what it printed.\"}";
    private static final List<String> SUBAGENT_CHUNKS = split(SUBAGENT_ARGUMENTS);

    static boolean isSubagentTool(String name) {
        return "Agent".equals(name) || "Task".equals(name);
    }

    /**
     * Codex's "responses-lite" offers no shell function: its custom tool {@code exec} runs JavaScript
     * that calls the nested tools, so the marker command goes through {@code tools.exec_command}.
     */
    static final String CODE_EXEC_TOOL = "exec";
    private static final String CODE_EXEC_INPUT =
            "const r = await tools.exec_command({cmd: \"echo tollgate-tool-ok\"});\ntext(r);";
    private static final List<String> CODE_EXEC_CHUNKS = split(CODE_EXEC_INPUT);

    /** Default answers are shared, not rebuilt per request. */
    private static final Reply.Text[] WORD_ANSWERS = new Reply.Text[65];

    static {
        for (int i = 0; i < WORD_ANSWERS.length; i++) {
            WORD_ANSWERS[i] = buildWords(i);
        }
    }

    private Answers() {
    }

    static boolean isShellTool(String name) {
        return name != null && SHELL_TOOL_ARGUMENTS.containsKey(name);
    }

    static Reply.Answer decide(Conversation c, int words, String callIdPrefix) {
        if (c.shellTool() != null && !c.hasToolResult()) {
            String name = c.shellTool();
            if (isSubagentTool(name)) {
                return new Reply.ToolCall(Ids.next(callIdPrefix), name, null, false, SUBAGENT_ARGUMENTS, SUBAGENT_CHUNKS);
            }
            if (name.equals(CODE_EXEC_TOOL)) {
                return new Reply.ToolCall(Ids.next(callIdPrefix), name, c.toolNamespace(), true, CODE_EXEC_INPUT, CODE_EXEC_CHUNKS);
            }
            return new Reply.ToolCall(Ids.next(callIdPrefix), name, c.toolNamespace(), false,
                    SHELL_TOOL_ARGUMENTS.get(name), SHELL_TOOL_CHUNKS.get(name));
        }
        if (c.hasToolResult()) {
            String out = c.lastToolOutput() == null ? "" : c.lastToolOutput().strip();
            if (out.length() > TOOL_OUTPUT_QUOTE_LIMIT) {
                out = out.substring(0, TOOL_OUTPUT_QUOTE_LIMIT);
            }
            return Reply.Text.of(tokens("Tool said: " + out));
        }
        if (c.jsonSchema() != null) {
            return Reply.Text.of(List.of(sampleJson(c.jsonSchema())));
        }
        return words(words);
    }

    static Reply.Text words(int n) {
        return n < WORD_ANSWERS.length ? WORD_ANSWERS[n] : buildWords(n);
    }

    private static Reply.Text buildWords(int n) {
        List<String> chunks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String w = WORDS[i % WORDS.length];
            chunks.add(i == 0 ? w : " " + w);
        }
        return Reply.Text.of(List.copyOf(chunks));
    }

    /** Splits text into tokens at spaces, each token after the first keeping its leading space. */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) == ' ' && text.charAt(i - 1) != ' ') {
                out.add(text.substring(start, i));
                start = i;
            }
        }
        if (start < text.length()) {
            out.add(text.substring(start));
        }
        return out;
    }

    private static List<String> split(String s) {
        int third = s.length() / ARGUMENT_CHUNKS;
        return List.of(s.substring(0, third), s.substring(third, 2 * third), s.substring(2 * third));
    }

    /**
     * A JSON value that fits a (Gemini-style, upper- or lower-case types) schema: Gemini CLI's
     * model router asks for one and retries for minutes on anything else.
     */
    static String sampleJson(JsonNode schema) {
        StringBuilder sb = new StringBuilder();
        sample(schema, sb);
        return sb.toString();
    }

    private static void sample(JsonNode schema, StringBuilder sb) {
        String type = Json.text(schema, "type", "object").toLowerCase(java.util.Locale.ROOT);
        JsonNode en = schema.get("enum");
        if (en != null && en.isArray() && !en.isEmpty()) {
            sb.append(en.get(0).toString());
            return;
        }
        switch (type) {
            case "object" -> {
                sb.append('{');
                JsonNode props = schema.get("properties");
                if (props != null) {
                    boolean first = true;
                    for (Map.Entry<String, JsonNode> e : props.properties()) {
                        if (!first) {
                            sb.append(',');
                        }
                        first = false;
                        sb.append(Json.MAPPER.getNodeFactory().textNode(e.getKey())).append(':');
                        sample(e.getValue(), sb);
                    }
                }
                sb.append('}');
            }
            case "array" -> {
                sb.append('[');
                JsonNode items = schema.get("items");
                if (items != null) {
                    sample(items, sb);
                }
                sb.append(']');
            }
            case "integer", "number" -> sb.append('1');
            case "boolean" -> sb.append("true");
            default -> sb.append("\"simulated\"");
        }
    }
}
