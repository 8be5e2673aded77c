package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** Anthropic Messages ({@code /v1/messages}), as Claude Code uses it. */
final class AnthropicFormat implements WireFormat {
    static final AnthropicFormat INSTANCE = new AnthropicFormat();

    private AnthropicFormat() {
    }

    /** A task for subagents: "tollgate-subagents=N" in the conversation asks for N of them, one per turn. */
    private static final java.util.regex.Pattern SUBAGENTS = java.util.regex.Pattern.compile("tollgate-subagents=(\\d)");

    static final String REDACTED = "c2ltLXJlZGFjdGVk";

    /** Whether the request turns thinking on. */
    static boolean thinks(JsonNode body) {
        String type = body.path("thinking").path("type").asText("");
        return type.equals("enabled") || type.equals("adaptive");
    }

    /** The simulator's signature of a thinking text: opaque to clients, checkable here. */
    static String signature(String thinking) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(thinking.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "c2ltLXNpZw" + java.util.Base64.getEncoder().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * As Anthropic answers a history that lost or altered its thinking: with thinking on, the last
     * assistant turn that calls tools must start with a thinking or redacted_thinking block, and a
     * thinking block the simulator signed must carry its text unchanged. Null when all is in order.
     */
    static String thinkingProblem(JsonNode body, boolean toolTurnNeedsThinking) {
        JsonNode messages = body.path("messages");
        int lastAssistant = -1;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!"assistant".equals(m.path("role").asText())) {
                continue;
            }
            lastAssistant = i;
            int b = 0;
            for (JsonNode block : m.path("content")) {
                String sig = block.path("signature").asText("");
                if ("thinking".equals(block.path("type").asText()) && sig.startsWith("c2ltLXNpZw")
                        && !sig.equals(signature(block.path("thinking").asText("")))) {
                    return "messages." + i + ".content." + b + ": Invalid `signature` in `thinking` block";
                }
                if ("redacted_thinking".equals(block.path("type").asText()) && !block.path("data").asText("").startsWith(REDACTED)) {
                    return "messages." + i + ".content." + b + ": Invalid `data` in `redacted_thinking` block";
                }
                b++;
            }
        }
        if (!toolTurnNeedsThinking || !thinks(body) || lastAssistant < 0) {
            return null;
        }
        JsonNode content = messages.get(lastAssistant).path("content");
        boolean callsTools = false;
        for (JsonNode block : content) {
            callsTools |= "tool_use".equals(block.path("type").asText());
        }
        String first = content.path(0).path("type").asText("");
        if (callsTools && !first.equals("thinking") && !first.equals("redacted_thinking")) {
            return "messages." + lastAssistant + ".content.0.type: Expected `thinking` or `redacted_thinking`, but found `" + first
                    + "`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
                    + "lastmost set of `tool_use` and `tool_result` blocks). To avoid this requirement, disable `thinking`.";
        }
        return null;
    }

    @Override
    public Conversation read(JsonNode body, String pathModel) {
        String shell = null;
        JsonNode tools = body.get("tools");
        if (tools != null) {
            for (JsonNode t : tools) {
                String name = Json.text(t, "name", null);
                if (Answers.isShellTool(name)) {
                    shell = name;
                    break;
                }
            }
        }
        boolean hasResult = false;
        int results = 0;
        JsonNode last = null;
        JsonNode messages = body.get("messages");
        if (messages != null) {
            for (JsonNode m : messages) {
                JsonNode content = m.get("content");
                if (content != null && content.isArray()) {
                    for (JsonNode block : content) {
                        if ("tool_result".equals(Json.text(block, "type", null))) {
                            hasResult = true;
                            results++;
                            last = block.get("content");
                        } else if ("text".equals(Json.text(block, "type", null))
                                && Json.text(block, "text", "").contains(Compactions.GATEWAY_SUMMARY)) {
                            // A gateway's compaction summary: the work it summarizes was done.
                            hasResult = true;
                            last = block.get("text");
                        }
                    }
                }
            }
        }
        // A task for subagents: the main agent starts one per turn (its subagent tool) until it holds N results.
        java.util.regex.Matcher subagents = SUBAGENTS.matcher(messages == null ? "" : messages.toString());
        String subagentTool = subagentTool(tools);
        if (subagentTool != null && subagents.find() && results < Integer.parseInt(subagents.group(1))) {
            shell = subagentTool;
            hasResult = false;
        }
        return new Conversation(
                pathModel != null ? pathModel : Json.text(body, "model", ""),
                body.path("stream").asBoolean(false),
                false,
                InputText.chars(body),
                shell,
                null,
                hasResult,
                hasResult ? InputText.flatten(last) : null,
                null);
    }

    private static String subagentTool(JsonNode tools) {
        if (tools != null) {
            for (JsonNode t : tools) {
                if (Answers.isSubagentTool(Json.text(t, "name", null))) {
                    return Json.text(t, "name", null);
                }
            }
        }
        return null;
    }

    @Override
    public String idPrefix() {
        return "msg_sim";
    }

    @Override
    public String callIdPrefix() {
        return "toolu_sim";
    }

    @Override
    public void writeJson(Reply r, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", r.id());
        g.writeStringField("type", "message");
        g.writeStringField("role", "assistant");
        g.writeStringField("model", r.model());
        g.writeArrayFieldStart("content");
        switch (r.answer()) {
            case Reply.Text t -> {
                g.writeStartObject();
                g.writeStringField("type", "text");
                g.writeStringField("text", t.text());
                g.writeEndObject();
            }
            case Reply.ToolCall c -> {
                g.writeStartObject();
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", c.callId());
                g.writeStringField("name", c.name());
                g.writeFieldName("input");
                g.writeRawValue(c.arguments());
                g.writeEndObject();
            }
        }
        g.writeEndArray();
        g.writeStringField("stop_reason", stopReason(r));
        g.writeNullField("stop_sequence");
        g.writeObjectFieldStart("usage");
        cacheUsage(r, g);
        g.writeNumberField("output_tokens", r.outputTokens());
        serverToolUse(r, g);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** The web searches Anthropic ran for the answer, billed per search. */
    private static void serverToolUse(Reply r, JsonGenerator g) throws IOException {
        if (r.searches() > 0) {
            g.writeObjectFieldStart("server_tool_use");
            g.writeNumberField("web_search_requests", r.searches());
            g.writeEndObject();
        }
    }

    /** input_tokens leave out cache reads and writes, which come apart; writes split by TTL as the API does. */
    private static void cacheUsage(Reply r, JsonGenerator g) throws IOException {
        g.writeNumberField("input_tokens", r.uncachedInputTokens());
        g.writeNumberField("cache_creation_input_tokens", r.cache().write());
        g.writeNumberField("cache_read_input_tokens", r.cache().read());
        g.writeObjectFieldStart("cache_creation");
        g.writeNumberField("ephemeral_5m_input_tokens", r.cache().write5m());
        g.writeNumberField("ephemeral_1h_input_tokens", r.cache().write1h());
        g.writeEndObject();
    }

    private static String stopReason(Reply r) {
        return r.answer() instanceof Reply.ToolCall ? "tool_use" : "end_turn";
    }

    @Override
    public void writeStream(Reply r, SseWriter sse) throws IOException {
        JsonGenerator g = start(sse, "message_start");
        g.writeObjectFieldStart("message");
        g.writeStringField("id", r.id());
        g.writeStringField("type", "message");
        g.writeStringField("role", "assistant");
        g.writeStringField("model", r.model());
        g.writeArrayFieldStart("content");
        g.writeEndArray();
        g.writeNullField("stop_reason");
        g.writeNullField("stop_sequence");
        g.writeObjectFieldStart("usage");
        cacheUsage(r, g);
        // Like the real API: a provisional count here, the final one in message_delta (not a sum).
        g.writeNumberField("output_tokens", Math.min(1, r.outputTokens()));
        g.writeEndObject();
        g.writeEndObject();
        end(g, sse);

        // With thinking on, Claude thinks (signed) and thinks in secret (redacted) before it calls a tool.
        int index = 0;
        if (r.thinking() && r.answer() instanceof Reply.ToolCall c) {
            String thought = "The user wants " + c.name() + " run; I will call it.";
            g = start(sse, "content_block_start");
            g.writeNumberField("index", index);
            g.writeObjectFieldStart("content_block");
            g.writeStringField("type", "thinking");
            g.writeStringField("thinking", "");
            g.writeStringField("signature", "");
            g.writeEndObject();
            end(g, sse);
            g = delta(sse, index);
            g.writeStringField("type", "thinking_delta");
            g.writeStringField("thinking", thought);
            g.writeEndObject();
            end(g, sse);
            g = delta(sse, index);
            g.writeStringField("type", "signature_delta");
            g.writeStringField("signature", signature(thought));
            g.writeEndObject();
            end(g, sse);
            g = start(sse, "content_block_stop");
            g.writeNumberField("index", index++);
            end(g, sse);
            g = start(sse, "content_block_start");
            g.writeNumberField("index", index);
            g.writeObjectFieldStart("content_block");
            g.writeStringField("type", "redacted_thinking");
            g.writeStringField("data", REDACTED + r.id());
            g.writeEndObject();
            end(g, sse);
            g = start(sse, "content_block_stop");
            g.writeNumberField("index", index++);
            end(g, sse);
        }

        g = start(sse, "content_block_start");
        g.writeNumberField("index", index);
        g.writeObjectFieldStart("content_block");
        switch (r.answer()) {
            case Reply.Text t -> {
                g.writeStringField("type", "text");
                g.writeStringField("text", "");
            }
            case Reply.ToolCall c -> {
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", c.callId());
                g.writeStringField("name", c.name());
                g.writeObjectFieldStart("input");
                g.writeEndObject();
            }
        }
        g.writeEndObject();
        end(g, sse);

        g = start(sse, "ping");
        end(g, sse);

        switch (r.answer()) {
            case Reply.Text t -> {
                for (String chunk : t.chunks()) {
                    g = delta(sse, index);
                    g.writeStringField("type", "text_delta");
                    g.writeStringField("text", chunk);
                    g.writeEndObject();
                    end(g, sse);
                }
            }
            case Reply.ToolCall c -> {
                for (String fragment : c.argumentChunks()) {
                    g = delta(sse, index);
                    g.writeStringField("type", "input_json_delta");
                    g.writeStringField("partial_json", fragment);
                    g.writeEndObject();
                    end(g, sse);
                }
            }
        }

        g = start(sse, "content_block_stop");
        g.writeNumberField("index", index);
        end(g, sse);

        g = start(sse, "message_delta");
        g.writeObjectFieldStart("delta");
        g.writeStringField("stop_reason", stopReason(r));
        g.writeNullField("stop_sequence");
        g.writeEndObject();
        g.writeObjectFieldStart("usage");
        g.writeNumberField("output_tokens", r.outputTokens());
        serverToolUse(r, g);
        g.writeEndObject();
        end(g, sse);

        g = start(sse, "message_stop");
        end(g, sse);
    }

    private static JsonGenerator start(SseWriter sse, String type) throws IOException {
        JsonGenerator g = sse.event(type);
        g.writeStartObject();
        g.writeStringField("type", type);
        return g;
    }

    /** Opens a content_block_delta event of block {@code index} up to its delta object. */
    private static JsonGenerator delta(SseWriter sse, int index) throws IOException {
        JsonGenerator g = sse.token("content_block_delta");
        g.writeStartObject();
        g.writeStringField("type", "content_block_delta");
        g.writeNumberField("index", index);
        g.writeObjectFieldStart("delta");
        return g;
    }

    private static void end(JsonGenerator g, SseWriter sse) throws IOException {
        g.writeEndObject();
        sse.end();
    }

    @Override
    public void writeError(int status, String message, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "error");
        g.writeObjectFieldStart("error");
        g.writeStringField("type", WireFormat.errorKind(status));
        g.writeStringField("message", message);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** {@code /v1/messages/count_tokens}. */
    void writeTokenCount(int tokens, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeNumberField("input_tokens", tokens);
        g.writeEndObject();
    }
}
