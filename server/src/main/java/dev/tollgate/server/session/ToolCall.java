package dev.tollgate.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The newest tool call in the history a request resends (agents resend it all every turn), when the
 * request carries that call's result: the call the agent has just run. The runaway brake compares
 * these from one request to the next; the request log names it.
 *
 * @param name      the tool's name, cut to 64 characters
 * @param signature the name and a hash of the arguments: the same call with the same arguments has the same one
 * @param position  how many tool calls the history holds up to this one: a retried request repeats it,
 *                  a new call of the same tool does not
 * @param agent     the subagent whose history it is (its own streak: parallel subagents running the same
 *                  command are no loop), null for the session's main agent
 */
public record ToolCall(String name, String signature, int position, String agent) {

    public ToolCall(String name, String signature, int position) {
        this(name, signature, position, null);
    }

    /** The same call, made by {@code agent} (null: the main agent). */
    public ToolCall by(String agent) {
        return new ToolCall(name, signature, position, agent);
    }

    private static final int MAX_NAME = 64;

    /** The call a request answers, if it ends with a tool result; empty for any other request or a body of another shape. */
    public static Optional<ToolCall> answeredBy(Api api, JsonBody body) {
        try {
            return switch (api) {
                case RESPONSES -> responses(body.node("input"));
                case CHAT_COMPLETIONS -> chat(body.node("messages"));
                case MESSAGES -> messages(body.node("messages"));
                case GEMINI -> gemini(body.node("contents"));
                default -> Optional.empty();
            };
        } catch (RuntimeException unexpectedShape) {
            return Optional.empty(); // the upstream judges the body; the brake only reads what it recognises
        }
    }

    private static Optional<ToolCall> responses(JsonNode input) {
        if (input == null || !input.isArray() || input.isEmpty() || !input.get(input.size() - 1).path("type").asText().endsWith("_output")) {
            return Optional.empty();
        }
        Newest newest = new Newest();
        for (JsonNode item : input) {
            switch (item.path("type").asText()) {
                case "function_call" -> newest.saw(item.path("name").asText(), item.path("arguments"));
                case "custom_tool_call" -> newest.saw(item.path("name").asText(), item.path("input"));
                case "local_shell_call" -> newest.saw("local_shell", item.path("action"));
                default -> { }
            }
        }
        return newest.call();
    }

    private static Optional<ToolCall> chat(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty() || !"tool".equals(messages.get(messages.size() - 1).path("role").asText())) {
            return Optional.empty();
        }
        Newest newest = new Newest();
        for (JsonNode m : messages) {
            for (JsonNode c : m.path("tool_calls")) {
                newest.saw(c.path("function").path("name").asText(), c.path("function").path("arguments"));
            }
        }
        return newest.call();
    }

    private static Optional<ToolCall> messages(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return Optional.empty();
        }
        // Claude Code's subagents end with a role "system" reminder after the tool result: the last turn is the one before it.
        int last = messages.size() - 1;
        while (last > 0 && "system".equals(messages.get(last).path("role").asText())) {
            last--;
        }
        boolean answers = false;
        for (JsonNode block : messages.get(last).path("content")) {
            answers |= "tool_result".equals(block.path("type").asText());
        }
        if (!answers) {
            return Optional.empty();
        }
        Newest newest = new Newest();
        for (JsonNode m : messages) {
            for (JsonNode block : m.path("content")) {
                if ("tool_use".equals(block.path("type").asText())) {
                    newest.saw(block.path("name").asText(), block.path("input"));
                }
            }
        }
        return newest.call();
    }

    private static Optional<ToolCall> gemini(JsonNode contents) {
        if (contents == null || !contents.isArray() || contents.isEmpty()) {
            return Optional.empty();
        }
        boolean answers = false;
        for (JsonNode part : contents.get(contents.size() - 1).path("parts")) {
            answers |= part.has("functionResponse");
        }
        if (!answers) {
            return Optional.empty();
        }
        Newest newest = new Newest();
        for (JsonNode c : contents) {
            for (JsonNode part : c.path("parts")) {
                if (part.has("functionCall")) {
                    newest.saw(part.path("functionCall").path("name").asText(), part.path("functionCall").path("args"));
                }
            }
        }
        return newest.call();
    }

    private static final class Newest {
        String name;
        JsonNode arguments;
        int count;

        void saw(String name, JsonNode arguments) {
            this.name = name;
            this.arguments = arguments;
            count++;
        }

        Optional<ToolCall> call() {
            if (name == null) {
                return Optional.empty();
            }
            // Arguments as text when sent as text (OpenAI's JSON string), else their JSON: the same call hashes alike.
            String args = arguments == null || arguments.isMissingNode() ? "" : arguments.isTextual() ? arguments.asText() : arguments.toString();
            String shortName = name.length() > MAX_NAME ? name.substring(0, MAX_NAME) : name;
            return Optional.of(new ToolCall(shortName, shortName + "#" + sha256(args), count));
        }
    }

    private static String sha256(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
