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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a chat completions stream. Chat has no block boundaries: a block opens when a different
 * kind of delta (text, reasoning, another tool call) arrives and the previous one closes. The answer
 * finishes at {@code [DONE]}, after the usage chunk the gateway asked for.
 */
final class ChatStreamDecoder implements WireCodec.StreamDecoder {

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private boolean started;
    private int open = -1;
    private String openKind = "";
    private int blocks;
    /** Tool call index in the chunk -> IR block. */
    private final Map<Integer, Integer> calls = new HashMap<>();
    private StopReason stop;
    private Usage usage = Usage.NONE;
    private boolean finished;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        List<StreamEvent> out = new ArrayList<>(2);
        byte[] data = event.data();
        if (java.util.Arrays.equals(data, DONE)) {
            return end();
        }
        JsonNode chunk = Json.parse(data);
        if (chunk.has("error")) {
            out.add(new StreamEvent.Failed(chunk.path("error").path("message").asText("the provider failed")));
            return out;
        }
        if (!started) {
            started = true;
            out.add(new StreamEvent.Started(chunk.path("id").asText(""), chunk.path("model").asText(""), Usage.NONE));
        }
        if (chunk.path("usage").isObject()) {
            usage = UsageTap.chat(chunk.path("usage"));
        }
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode delta = choice.path("delta");
            String reasoning = delta.hasNonNull("reasoning_content") ? delta.path("reasoning_content").asText()
                    : delta.hasNonNull("reasoning") ? delta.path("reasoning").asText() : null;
            if (reasoning != null && !reasoning.isEmpty()) {
                int i = switchTo("thinking", new Part.Thinking("", null, null), out);
                out.add(new StreamEvent.ThinkingDelta(i, reasoning));
            }
            if (delta.hasNonNull("content") && !delta.path("content").asText().isEmpty()) {
                int i = switchTo("text", new Part.Text(""), out);
                out.add(new StreamEvent.TextDelta(i, delta.path("content").asText()));
            }
            for (JsonNode call : delta.path("tool_calls")) {
                int callIndex = call.path("index").asInt();
                Integer i = calls.get(callIndex);
                if (i == null) {
                    i = switchTo("call" + callIndex, new Part.ToolCall(call.path("id").asText(),
                            call.path("function").path("name").asText(), ""), out);
                    calls.put(callIndex, i);
                }
                String args = call.path("function").path("arguments").asText("");
                if (!args.isEmpty()) {
                    out.add(new StreamEvent.ToolArgumentsDelta(i, args));
                }
            }
            if (choice.hasNonNull("finish_reason")) {
                stop = ChatCodec.stopReason(choice.path("finish_reason").asText());
                closeOpen(out);
            }
        }
        return out;
    }

    private int switchTo(String kind, Part block, List<StreamEvent> out) {
        if (open >= 0 && kind.equals(openKind)) {
            return open;
        }
        closeOpen(out);
        open = blocks++;
        openKind = kind;
        out.add(new StreamEvent.BlockStarted(open, block));
        return open;
    }

    private void closeOpen(List<StreamEvent> out) {
        if (open >= 0) {
            out.add(new StreamEvent.BlockStopped(open));
            open = -1;
            openKind = "";
        }
    }

    /** Some servers end without [DONE]; a stream that gave a finish reason is still complete. */
    @Override
    public List<StreamEvent> end() {
        if (finished || stop == null) {
            return List.of();
        }
        finished = true;
        List<StreamEvent> out = new ArrayList<>(2);
        closeOpen(out);
        out.add(new StreamEvent.Finished(stop, usage));
        return out;
    }
}
