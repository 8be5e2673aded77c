package dev.tollgate.providers.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.CarriedReasoning;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Anthropic's stream. Claude Code needs message_start, each block's start, deltas and
 * {@code content_block_stop}, then message_delta with the stop reason and message_stop.
 */
final class AnthropicStreamEncoder implements WireCodec.StreamEncoder {

    private final ChatRequest client;
    /** IR block index -> this stream's block index (IR indexes may skip blocks a format cannot show). */
    private final Map<Integer, Integer> indexes = new HashMap<>();
    private int carriers;
    private boolean started;
    private boolean finished;

    AnthropicStreamEncoder(ChatRequest client) {
        this.client = client;
    }

    @Override
    public List<SseEvent> encode(StreamEvent event) {
        List<SseEvent> out = new ArrayList<>(2);
        switch (event) {
            case StreamEvent.Started s -> start(s.id(), s.usage(), out);
            case StreamEvent.BlockStarted b -> {
                start("", Usage.NONE, out);
                if (b.block() instanceof Part.ToolCall c && c.signature() != null) {
                    carry(CarriedReasoning.seal(c), out);
                }
                ObjectNode block = switch (b.block()) {
                    case Part.Text t -> Json.object().put("type", "text").put("text", t.text());
                    case Part.ToolCall c -> {
                        ObjectNode use = Json.object().put("type", "tool_use").put("id", c.id()).put("name", c.name());
                        use.putObject("input");
                        yield use;
                    }
                    case Part.Thinking t -> Json.object().put("type", "thinking").put("thinking", t.text()).put("signature", "");
                    case Part.RedactedThinking r -> Json.object().put("type", "redacted_thinking").put("data", r.data());
                    default -> null;
                };
                if (block != null) {
                    int index = indexes.size() + carriers;
                    indexes.put(b.index(), index);
                    ObjectNode e = event("content_block_start").put("index", index);
                    e.set("content_block", block);
                    out.add(sse(e));
                }
            }
            case StreamEvent.TextDelta d -> delta(d.index(), Json.object().put("type", "text_delta").put("text", d.text()), out);
            case StreamEvent.ToolArgumentsDelta d -> delta(d.index(), Json.object().put("type", "input_json_delta").put("partial_json", d.json()), out);
            case StreamEvent.ThinkingDelta d -> delta(d.index(), Json.object().put("type", "thinking_delta").put("thinking", d.text()), out);
            case StreamEvent.ThinkingSealed s -> delta(s.index(), Json.object().put("type", "signature_delta")
                    .put("signature", AnthropicCodec.signature(s.signature(), s.encrypted())), out);
            case StreamEvent.BlockStopped b -> {
                Integer index = indexes.get(b.index());
                if (index != null) {
                    out.add(sse(event("content_block_stop").put("index", index)));
                }
            }
            case StreamEvent.Finished f -> {
                start("", f.usage(), out);
                ObjectNode e = event("message_delta");
                e.putObject("delta").put("stop_reason", AnthropicCodec.stopReason(f.reason())).putNull("stop_sequence");
                e.set("usage", AnthropicCodec.usage(f.usage()));
                out.add(sse(e));
                out.add(sse(event("message_stop")));
                finished = true;
            }
            case StreamEvent.Failed f -> out.addAll(fail(f.message()));
        }
        return out;
    }

    /**
     * Gemini's signature of the call that follows, in a thinking block of its own with no text:
     * Anthropic clients send thinking blocks back with the history. It takes a block index of its own.
     */
    private void carry(String carrier, List<SseEvent> out) {
        int index = indexes.size() + carriers++;
        ObjectNode e = event("content_block_start").put("index", index);
        e.set("content_block", Json.object().put("type", "thinking").put("thinking", "").put("signature", ""));
        out.add(sse(e));
        ObjectNode d = event("content_block_delta").put("index", index);
        d.set("delta", Json.object().put("type", "signature_delta").put("signature", carrier));
        out.add(sse(d));
        out.add(sse(event("content_block_stop").put("index", index)));
    }

    private void start(String id, Usage usage, List<SseEvent> out) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode e = event("message_start");
        ObjectNode m = e.putObject("message");
        m.put("id", AnthropicCodec.messageId(id));
        m.put("type", "message");
        m.put("role", "assistant");
        m.put("model", client.model());
        m.putArray("content");
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        m.set("usage", AnthropicCodec.usage(usage));
        out.add(sse(e));
    }

    private void delta(int irIndex, ObjectNode delta, List<SseEvent> out) {
        Integer index = indexes.get(irIndex);
        if (index != null) {
            ObjectNode e = event("content_block_delta").put("index", index);
            e.set("delta", delta);
            out.add(sse(e));
        }
    }

    @Override
    public List<SseEvent> fail(String message) {
        if (finished) {
            return List.of();
        }
        ObjectNode e = event("error");
        e.putObject("error").put("type", "api_error").put("message", message);
        return List.of(sse(e));
    }

    private static ObjectNode event(String type) {
        return Json.object().put("type", type);
    }

    private static SseEvent sse(ObjectNode e) {
        return SseEvent.of(e.path("type").asText(), e.toString());
    }
}
