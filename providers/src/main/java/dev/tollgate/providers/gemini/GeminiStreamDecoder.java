package dev.tollgate.providers.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads Gemini's stream of whole GenerateContentResponse chunks. Text and thoughts continue a block
 * of their kind; a function call arrives whole and is a block of its own. The chunk with
 * {@code finishReason} ends the answer.
 */
final class GeminiStreamDecoder implements WireCodec.StreamDecoder {

    private boolean started;
    private int open = -1;
    private String openKind = "";
    private int blocks;
    private boolean calledTool;
    private Usage usage = Usage.NONE;
    private final dev.tollgate.providers.usage.GroundingQueries searches = new dev.tollgate.providers.usage.GroundingQueries();
    private boolean finished;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        List<StreamEvent> out = new ArrayList<>(3);
        JsonNode chunk = Json.parse(event.data());
        if (chunk.has("error")) {
            out.add(new StreamEvent.Failed(chunk.path("error").path("message").asText("the provider failed")));
            return out;
        }
        if (!started) {
            started = true;
            out.add(new StreamEvent.Started(chunk.path("responseId").asText(""), chunk.path("modelVersion").asText(""), Usage.NONE));
        }
        searches.add(chunk);
        if (chunk.path("usageMetadata").isObject()) {
            usage = GeminiCodec.usage(chunk.path("usageMetadata"));
        }
        JsonNode candidate = chunk.path("candidates").path(0);
        for (JsonNode p : candidate.path("content").path("parts")) {
            if (p.has("functionCall")) {
                close(out);
                JsonNode call = p.get("functionCall");
                int i = blocks++;
                String id = call.hasNonNull("id") ? call.get("id").asText() : "call_" + call.path("name").asText() + "_" + i;
                // Gemini 3 wants the call's thought signature back with the history; it travels on the call.
                out.add(new StreamEvent.BlockStarted(i, new Part.ToolCall(id, call.path("name").asText(), "", GeminiCodec.signature(p))));
                out.add(new StreamEvent.ToolArgumentsDelta(i, call.path("args").isObject() ? call.get("args").toString() : "{}"));
                out.add(new StreamEvent.BlockStopped(i));
                calledTool = true;
            } else if (p.has("text")) {
                boolean thought = p.path("thought").asBoolean(false);
                String text = p.path("text").asText();
                if (text.isEmpty()) {
                    continue;
                }
                int i = switchTo(thought ? "thought" : "text", thought ? new Part.Thinking("", null, null) : new Part.Text(""), out);
                out.add(thought ? new StreamEvent.ThinkingDelta(i, text) : new StreamEvent.TextDelta(i, text));
            }
        }
        if (candidate.hasNonNull("finishReason") && !finished) {
            finished = true;
            close(out);
            out.add(new StreamEvent.Finished(stopReason(candidate.path("finishReason").asText()), searches.onto(usage)));
        }
        return out;
    }

    private StopReason stopReason(String finish) {
        return switch (finish) {
            case "MAX_TOKENS" -> StopReason.MAX_TOKENS;
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII" -> StopReason.REFUSAL;
            default -> calledTool ? StopReason.TOOL_USE : StopReason.END_TURN;
        };
    }

    private int switchTo(String kind, Part block, List<StreamEvent> out) {
        if (open >= 0 && kind.equals(openKind)) {
            return open;
        }
        close(out);
        open = blocks++;
        openKind = kind;
        out.add(new StreamEvent.BlockStarted(open, block));
        return open;
    }

    private void close(List<StreamEvent> out) {
        if (open >= 0) {
            out.add(new StreamEvent.BlockStopped(open));
            open = -1;
            openKind = "";
        }
    }

    @Override
    public Usage usageSoFar() {
        return searches.onto(usage);
    }
}
