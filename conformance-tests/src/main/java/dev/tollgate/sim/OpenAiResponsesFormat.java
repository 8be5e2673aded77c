package dev.tollgate.sim;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI Responses API ({@code /v1/responses}, {@code /openai/responses}), the only wire Codex speaks. */
final class OpenAiResponsesFormat implements WireFormat {
    static final OpenAiResponsesFormat INSTANCE = new OpenAiResponsesFormat();

    private static final java.util.regex.Pattern TOOL_TURNS = java.util.regex.Pattern.compile("tollgate-tool-turns=(\\d{1,2})");

    private OpenAiResponsesFormat() {
    }

    @Override
    public Conversation read(JsonNode body, String pathModel) {
        OfferedTool shell = shellTool(body.get("tools"), null);
        boolean hasResult = false;
        int results = 0;
        JsonNode last = null;
        JsonNode input = body.get("input");
        if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                String type = Json.text(item, "type", "");
                if (type.equals("function_call_output") || type.equals("custom_tool_call_output")) {
                    hasResult = true;
                    results++;
                    last = item.get("output");
                } else if (type.equals("compaction") && Compactions.resumedOutput(item) != null) {
                    // A compacted turn: the work it summarizes was done.
                    hasResult = true;
                    last = com.fasterxml.jackson.databind.node.TextNode.valueOf(Compactions.resumedOutput(item));
                } else if (type.equals("message") && Compactions.localSummary(item) != null) {
                    // Codex's own (local) compaction on a custom provider: its handoff summary stands for the work done.
                    hasResult = true;
                    last = com.fasterxml.jackson.databind.node.TextNode.valueOf(Compactions.localSummary(item));
                } else if (shell == null && type.equals("additional_tools")) {
                    // Codex "responses-lite": tools travel as an input item, grouped in namespaces.
                    shell = shellTool(item.get("tools"), null);
                }
            }
        }
        // A session of many turns: the prompt asks for N tool calls ("tollgate-tool-turns=N"), one per turn.
        java.util.regex.Matcher turns = TOOL_TURNS.matcher(input == null ? "" : input.toString());
        if (hasResult && turns.find() && results < Integer.parseInt(turns.group(1))) {
            hasResult = false;
        }
        return new Conversation(
                pathModel != null ? pathModel : Json.text(body, "model", ""),
                body.path("stream").asBoolean(false),
                false,
                InputText.chars(body),
                shell == null ? null : shell.name(),
                shell == null ? null : shell.namespace(),
                hasResult,
                hasResult ? InputText.flatten(last) : null,
                null);
    }

    private record OfferedTool(String name, String namespace) {
    }

    /**
     * The first shell-like function tool, else the first custom {@code exec} code tool (searched
     * separately, so a plain shell function wins wherever it is).
     */
    private static OfferedTool shellTool(JsonNode tools, String namespace) {
        OfferedTool fn = find(tools, namespace, false);
        return fn != null ? fn : find(tools, namespace, true);
    }

    private static OfferedTool find(JsonNode tools, String namespace, boolean codeTool) {
        if (tools == null) {
            return null;
        }
        for (JsonNode t : tools) {
            String type = Json.text(t, "type", "function");
            String name = Json.text(t, "name", null);
            if (type.equals("namespace")) {
                OfferedTool inner = find(t.get("tools"), name, codeTool);
                if (inner != null) {
                    return inner;
                }
            } else if (!codeTool && type.equals("function") && Answers.isShellTool(name)) {
                return new OfferedTool(name, namespace);
            } else if (codeTool && type.equals("custom") && Answers.CODE_EXEC_TOOL.equals(name)) {
                return new OfferedTool(name, namespace);
            }
        }
        return null;
    }

    @Override
    public String idPrefix() {
        return "resp_sim";
    }

    @Override
    public String callIdPrefix() {
        return "call_sim";
    }

    /** Output item id, derived from the response id so both stay cheap and consistent. */
    private static String itemId(Reply r) {
        String prefix = r.answer() instanceof Reply.ToolCall c ? (c.custom() ? "ctc_" : "fc_") : "msg_";
        return prefix + r.id().substring(5);
    }

    @Override
    public void writeJson(Reply r, JsonGenerator g) throws IOException {
        writeResponse(r, g, true);
    }

    @Override
    public void writeStream(Reply r, SseWriter sse) throws IOException {
        int seq = 0;
        String itemId = itemId(r);
        JsonGenerator g = start(sse, "response.created", seq++);
        g.writeFieldName("response");
        writeResponse(r, g, false);
        end(g, sse);
        g = start(sse, "response.in_progress", seq++);
        g.writeFieldName("response");
        writeResponse(r, g, false);
        end(g, sse);
        switch (r.answer()) {
            case Reply.Text t -> {
                g = start(sse, "response.output_item.added", seq++);
                g.writeNumberField("output_index", 0);
                g.writeObjectFieldStart("item");
                g.writeStringField("id", itemId);
                g.writeStringField("type", "message");
                g.writeStringField("status", "in_progress");
                g.writeStringField("role", "assistant");
                g.writeArrayFieldStart("content");
                g.writeEndArray();
                g.writeEndObject();
                end(g, sse);
                g = start(sse, "response.content_part.added", seq++);
                partFields(g, itemId);
                g.writeFieldName("part");
                writeTextPart(g, "");
                end(g, sse);
                for (String chunk : t.chunks()) {
                    g = sse.token("response.output_text.delta");
                    g.writeStartObject();
                    g.writeStringField("type", "response.output_text.delta");
                    g.writeNumberField("sequence_number", seq++);
                    partFields(g, itemId);
                    g.writeStringField("delta", chunk);
                    g.writeArrayFieldStart("logprobs");
                    g.writeEndArray();
                    end(g, sse);
                }
                g = start(sse, "response.output_text.done", seq++);
                partFields(g, itemId);
                g.writeStringField("text", t.text());
                g.writeArrayFieldStart("logprobs");
                g.writeEndArray();
                end(g, sse);
                g = start(sse, "response.content_part.done", seq++);
                partFields(g, itemId);
                g.writeFieldName("part");
                writeTextPart(g, t.text());
                end(g, sse);
            }
            case Reply.ToolCall c -> {
                // Function calls stream JSON arguments; custom (free-form) tool calls stream raw input.
                String deltaType = c.custom() ? "response.custom_tool_call_input.delta" : "response.function_call_arguments.delta";
                g = start(sse, "response.output_item.added", seq++);
                g.writeNumberField("output_index", 0);
                g.writeFieldName("item");
                writeToolCall(g, itemId, c, "in_progress", "");
                end(g, sse);
                for (String fragment : c.argumentChunks()) {
                    g = sse.token(deltaType);
                    g.writeStartObject();
                    g.writeStringField("type", deltaType);
                    g.writeNumberField("sequence_number", seq++);
                    g.writeStringField("item_id", itemId);
                    g.writeNumberField("output_index", 0);
                    g.writeStringField("delta", fragment);
                    end(g, sse);
                }
                if (c.custom()) {
                    g = start(sse, "response.custom_tool_call_input.done", seq++);
                    g.writeStringField("item_id", itemId);
                    g.writeNumberField("output_index", 0);
                    g.writeStringField("input", c.arguments());
                } else {
                    g = start(sse, "response.function_call_arguments.done", seq++);
                    g.writeStringField("item_id", itemId);
                    g.writeNumberField("output_index", 0);
                    g.writeStringField("name", c.name());
                    g.writeStringField("arguments", c.arguments());
                }
                end(g, sse);
            }
        }
        // Codex needs output_item.done (the full item) and response.completed (the usage) to accept a turn.
        g = start(sse, "response.output_item.done", seq++);
        g.writeNumberField("output_index", 0);
        g.writeFieldName("item");
        writeOutputItem(r, g);
        end(g, sse);
        g = start(sse, "response.completed", seq);
        g.writeFieldName("response");
        writeResponse(r, g, true);
        end(g, sse);
    }

    private static JsonGenerator start(SseWriter sse, String type, int seq) throws IOException {
        JsonGenerator g = sse.event(type);
        g.writeStartObject();
        g.writeStringField("type", type);
        g.writeNumberField("sequence_number", seq);
        return g;
    }

    /** Closes the event object opened by {@link #start} (or by hand) and sends the event. */
    private static void end(JsonGenerator g, SseWriter sse) throws IOException {
        g.writeEndObject();
        sse.end();
    }

    private static void partFields(JsonGenerator g, String itemId) throws IOException {
        g.writeStringField("item_id", itemId);
        g.writeNumberField("output_index", 0);
        g.writeNumberField("content_index", 0);
    }

    private static void writeTextPart(JsonGenerator g, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "output_text");
        g.writeStringField("text", text);
        g.writeArrayFieldStart("annotations");
        g.writeEndArray();
        g.writeEndObject();
    }

    /** A function_call or custom_tool_call item; {@code args} is "" while in progress. */
    private static void writeToolCall(JsonGenerator g, String itemId, Reply.ToolCall c, String status, String args)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("id", itemId);
        g.writeStringField("type", c.custom() ? "custom_tool_call" : "function_call");
        g.writeStringField("status", status);
        g.writeStringField("call_id", c.callId());
        if (c.namespace() != null) {
            g.writeStringField("namespace", c.namespace());
        }
        g.writeStringField("name", c.name());
        g.writeStringField(c.custom() ? "input" : "arguments", args);
        g.writeEndObject();
    }

    private static void writeOutputItem(Reply r, JsonGenerator g) throws IOException {
        String itemId = itemId(r);
        switch (r.answer()) {
            case Reply.Text t -> {
                g.writeStartObject();
                g.writeStringField("id", itemId);
                g.writeStringField("type", "message");
                g.writeStringField("status", "completed");
                g.writeStringField("role", "assistant");
                g.writeArrayFieldStart("content");
                writeTextPart(g, t.text());
                g.writeEndArray();
                g.writeEndObject();
            }
            case Reply.ToolCall c -> writeToolCall(g, itemId, c, "completed", c.arguments());
        }
    }

    /** The response object: in progress (no output, usage null) or completed. */
    private static void writeResponse(Reply r, JsonGenerator g, boolean completed) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", r.id());
        g.writeStringField("object", "response");
        g.writeNumberField("created_at", r.created());
        g.writeStringField("status", completed ? "completed" : "in_progress");
        g.writeNullField("error");
        g.writeNullField("incomplete_details");
        g.writeNullField("instructions");
        g.writeNullField("max_output_tokens");
        g.writeStringField("model", r.model());
        g.writeArrayFieldStart("output");
        if (completed) {
            writeOutputItem(r, g);
        }
        g.writeEndArray();
        g.writeBooleanField("parallel_tool_calls", true);
        g.writeNullField("previous_response_id");
        g.writeObjectFieldStart("reasoning");
        g.writeNullField("effort");
        g.writeNullField("summary");
        g.writeEndObject();
        g.writeBooleanField("store", false);
        g.writeNumberField("temperature", 1);
        g.writeObjectFieldStart("text");
        g.writeObjectFieldStart("format");
        g.writeStringField("type", "text");
        g.writeEndObject();
        g.writeEndObject();
        g.writeStringField("tool_choice", "auto");
        g.writeArrayFieldStart("tools");
        g.writeEndArray();
        g.writeNumberField("top_p", 1);
        g.writeStringField("truncation", "disabled");
        if (completed) {
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", r.inputTokens());
            g.writeObjectFieldStart("input_tokens_details");
            g.writeNumberField("cached_tokens", r.cache().read());
            g.writeEndObject();
            g.writeNumberField("output_tokens", r.outputTokens());
            g.writeObjectFieldStart("output_tokens_details");
            g.writeNumberField("reasoning_tokens", 0);
            g.writeEndObject();
            g.writeNumberField("total_tokens", r.totalTokens());
            g.writeEndObject();
        } else {
            g.writeNullField("usage");
        }
        g.writeNullField("user");
        g.writeObjectFieldStart("metadata");
        g.writeEndObject();
        g.writeEndObject();
    }

    @Override
    public void writeError(int status, String message, JsonGenerator g) throws IOException {
        OpenAiChatFormat.writeOpenAiError(status, message, g);
    }
}
