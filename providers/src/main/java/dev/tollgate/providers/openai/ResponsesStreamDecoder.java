package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.providers.usage.UsageTap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Responses stream. Each output item (and each text part of a message) becomes an IR block;
 * an item that arrives whole in {@code output_item.done} (minimal streams send nothing else) is
 * replayed as start, content and stop.
 */
final class ResponsesStreamDecoder implements WireCodec.StreamDecoder {

    private final Map<String, Integer> blocks = new HashMap<>();
    private final Set<Integer> stopped = new HashSet<>();
    private final Set<Integer> hadContent = new HashSet<>();
    /** Free-form tool calls stream raw text: it is wrapped as {"input": "..."} on the fly. */
    private final Set<Integer> custom = new HashSet<>();
    private boolean started;
    private boolean calledTool;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        JsonNode e = Json.parse(event.data());
        List<StreamEvent> out = new ArrayList<>(2);
        String type = e.path("type").asText(event.type() == null ? "" : event.type());
        int output = e.path("output_index").asInt();
        switch (type) {
            case "response.created", "response.in_progress" -> start(e.path("response"), out);
            case "response.output_item.added" -> {
                start(Json.object(), out);
                JsonNode item = e.path("item");
                switch (item.path("type").asText()) {
                    case "function_call" -> open(key(output, 0), new Part.ToolCall(item.path("call_id").asText(), item.path("name").asText(), ""), out);
                    case "custom_tool_call" -> {
                        int i = open(key(output, 0), new Part.ToolCall(item.path("call_id").asText(), item.path("name").asText(), ""), out);
                        custom.add(i);
                        out.add(new StreamEvent.ToolArgumentsDelta(i, "{\"input\":\""));
                    }
                    case "reasoning" -> open(key(output, 0), new Part.Thinking("", null, null), out);
                    default -> { }
                }
            }
            case "response.content_part.added" -> {
                start(Json.object(), out);
                open(key(output, e.path("content_index").asInt()), new Part.Text(""), out);
            }
            case "response.output_text.delta", "response.refusal.delta" -> {
                start(Json.object(), out);
                int i = open(key(output, e.path("content_index").asInt()), new Part.Text(""), out);
                content(i, new StreamEvent.TextDelta(i, e.path("delta").asText()), out);
            }
            case "response.function_call_arguments.delta" -> {
                Integer i = blocks.get(key(output, 0));
                if (i != null) {
                    content(i, new StreamEvent.ToolArgumentsDelta(i, e.path("delta").asText()), out);
                }
            }
            case "response.custom_tool_call_input.delta" -> {
                Integer i = blocks.get(key(output, 0));
                if (i != null) {
                    content(i, new StreamEvent.ToolArgumentsDelta(i, escaped(e.path("delta").asText())), out);
                }
            }
            case "response.reasoning_summary_text.delta", "response.reasoning_text.delta" -> {
                Integer i = blocks.get(key(output, 0));
                if (i != null) {
                    content(i, new StreamEvent.ThinkingDelta(i, e.path("delta").asText()), out);
                }
            }
            case "response.content_part.done" -> close(key(output, e.path("content_index").asInt()), out);
            case "response.output_item.done" -> itemDone(output, e.path("item"), out);
            case "response.completed", "response.incomplete" -> {
                start(e.path("response"), out);
                JsonNode r = e.path("response");
                Usage usage = r.path("usage").isObject() ? UsageTap.responses(r.path("usage")) : Usage.NONE;
                StopReason stop = type.equals("response.incomplete")
                        ? ("content_filter".equals(r.path("incomplete_details").path("reason").asText()) ? StopReason.REFUSAL : StopReason.MAX_TOKENS)
                        : calledTool ? StopReason.TOOL_USE : StopReason.END_TURN;
                out.add(new StreamEvent.Finished(stop, usage));
            }
            case "response.failed" -> out.add(new StreamEvent.Failed(e.path("response").path("error").path("message").asText("the provider failed")));
            case "error" -> out.add(new StreamEvent.Failed(e.path("message").asText(e.path("error").path("message").asText("the provider failed"))));
            default -> { }
        }
        return out;
    }

    private void start(JsonNode response, List<StreamEvent> out) {
        if (!started) {
            started = true;
            out.add(new StreamEvent.Started(response.path("id").asText(""), response.path("model").asText(""), Usage.NONE));
        }
    }

    private static String key(int output, int content) {
        return output + ":" + content;
    }

    private int open(String key, Part block, List<StreamEvent> out) {
        Integer i = blocks.get(key);
        if (i == null) {
            i = blocks.size();
            blocks.put(key, i);
            out.add(new StreamEvent.BlockStarted(i, block));
            if (block instanceof Part.ToolCall) {
                calledTool = true;
            }
        }
        return i;
    }

    private void content(int i, StreamEvent delta, List<StreamEvent> out) {
        hadContent.add(i);
        out.add(delta);
    }

    private void close(String key, List<StreamEvent> out) {
        Integer i = blocks.get(key);
        if (i != null && stopped.add(i)) {
            if (custom.contains(i)) {
                out.add(new StreamEvent.ToolArgumentsDelta(i, "\"}"));
            }
            out.add(new StreamEvent.BlockStopped(i));
        }
    }

    /** Completes whatever the deltas did not carry, from the whole item, then closes its blocks. */
    private void itemDone(int output, JsonNode item, List<StreamEvent> out) {
        start(Json.object(), out);
        switch (item.path("type").asText()) {
            case "message" -> {
                int c = 0;
                for (JsonNode part : item.path("content")) {
                    String k = key(output, c++);
                    boolean fresh = !blocks.containsKey(k);
                    int i = open(k, new Part.Text(""), out);
                    if (fresh || !hadContent.contains(i)) {
                        String text = part.has("text") ? part.path("text").asText() : part.path("refusal").asText();
                        content(i, new StreamEvent.TextDelta(i, text), out);
                    }
                    close(k, out);
                }
            }
            case "function_call", "custom_tool_call" -> {
                boolean isCustom = item.path("type").asText().equals("custom_tool_call");
                String k = key(output, 0);
                boolean fresh = !blocks.containsKey(k);
                int i = open(k, new Part.ToolCall(item.path("call_id").asText(), item.path("name").asText(), ""), out);
                if (fresh && isCustom) {
                    custom.add(i);
                    out.add(new StreamEvent.ToolArgumentsDelta(i, "{\"input\":\""));
                }
                if (!hadContent.contains(i)) {
                    content(i, new StreamEvent.ToolArgumentsDelta(i,
                            isCustom ? escaped(item.path("input").asText()) : item.path("arguments").asText()), out);
                }
                close(k, out);
            }
            case "reasoning" -> {
                String k = key(output, 0);
                int i = open(k, new Part.Thinking("", null, null), out);
                if (!hadContent.contains(i)) {
                    StringBuilder text = new StringBuilder();
                    for (JsonNode s : item.path("summary")) {
                        text.append(text.isEmpty() ? "" : "\n\n").append(s.path("text").asText());
                    }
                    if (!text.isEmpty()) {
                        content(i, new StreamEvent.ThinkingDelta(i, text.toString()), out);
                    }
                }
                String enc = Json.text(item, "encrypted_content");
                if (enc != null) {
                    out.add(new StreamEvent.ThinkingSealed(i, null, enc));
                }
                close(k, out);
            }
            default -> { }
        }
    }

    /** Text as it appears inside a JSON string, without the quotes. */
    private static String escaped(String s) {
        String quoted = Json.object().textNode(s).toString();
        return quoted.substring(1, quoted.length() - 1);
    }
}
