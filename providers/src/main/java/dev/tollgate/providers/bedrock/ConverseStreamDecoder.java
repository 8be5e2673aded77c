package dev.tollgate.providers.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.eventstream.EventStreamReader;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.EventSource;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.ProviderUsage;
import dev.tollgate.providers.usage.Usage;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * ConverseStream's events into the IR's, each as it arrives. Text and reasoning blocks have no
 * start event in Converse (their first delta opens them); tool calls do. The stop reason comes on
 * messageStop and the usage after it, on metadata: the answer is finished there.
 */
final class ConverseStreamDecoder implements WireCodec.StreamDecoder {

    private final Set<Integer> open = new HashSet<>();
    private StopReason stop;
    private boolean finished;

    @Override
    public EventSource reader(InputStream upstream) {
        return new EventStreamReader(upstream);
    }

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        String type = event.type() == null ? "" : event.type();
        JsonNode e = Json.parse(event.data());
        int index = e.path("contentBlockIndex").asInt();
        List<StreamEvent> out = new ArrayList<>(2);
        switch (type) {
            case "messageStart" -> out.add(new StreamEvent.Started("msg_bdrk_" + UUID.randomUUID().toString().replace("-", ""), "", Usage.NONE));
            case "contentBlockStart" -> {
                JsonNode use = e.path("start").path("toolUse");
                if (use.isObject() && open.add(index)) {
                    out.add(new StreamEvent.BlockStarted(index, new Part.ToolCall(use.path("toolUseId").asText(), use.path("name").asText(), "")));
                }
            }
            case "contentBlockDelta" -> delta(index, e.path("delta"), out);
            case "contentBlockStop" -> {
                if (open.remove(index)) {
                    out.add(new StreamEvent.BlockStopped(index));
                }
            }
            case "messageStop" -> {
                closeAll(out);
                stop = ConverseCodec.stopReason(e.path("stopReason").asText());
            }
            case "metadata" -> {
                closeAll(out);
                finished = true;
                out.add(new StreamEvent.Finished(stop == null ? StopReason.END_TURN : stop, ProviderUsage.bedrock(e.path("usage"))));
            }
            case "error" -> out.add(new StreamEvent.Failed(e.path("message").asText("the provider reported an error")));
            default -> {
                if (type.endsWith("Exception")) { // throttlingException, modelStreamErrorException, ...
                    out.add(new StreamEvent.Failed(type + ": " + e.path("message").asText("the provider reported an error")));
                }
            }
        }
        return out;
    }

    private void delta(int index, JsonNode d, List<StreamEvent> out) {
        if (d.has("text")) {
            opened(index, new Part.Text(""), out);
            out.add(new StreamEvent.TextDelta(index, d.path("text").asText()));
        } else if (d.has("toolUse")) {
            opened(index, new Part.ToolCall("", "", ""), out);
            out.add(new StreamEvent.ToolArgumentsDelta(index, d.path("toolUse").path("input").asText()));
        } else if (d.has("reasoningContent")) {
            JsonNode r = d.path("reasoningContent");
            if (r.has("redactedContent")) {
                opened(index, new Part.RedactedThinking(r.path("redactedContent").asText()), out);
                return;
            }
            opened(index, new Part.Thinking("", null, null), out);
            if (r.has("text")) {
                out.add(new StreamEvent.ThinkingDelta(index, r.path("text").asText()));
            }
            if (r.has("signature")) {
                out.add(new StreamEvent.ThinkingSealed(index, r.path("signature").asText(), null));
            }
        }
    }

    private void opened(int index, Part block, List<StreamEvent> out) {
        if (open.add(index)) {
            out.add(new StreamEvent.BlockStarted(index, block));
        }
    }

    private void closeAll(List<StreamEvent> out) {
        open.stream().sorted().forEach(i -> out.add(new StreamEvent.BlockStopped(i)));
        open.clear();
    }

    /** A stream that stopped without its metadata event still finished its answer; the usage is unknown. */
    @Override
    public List<StreamEvent> end() {
        if (stop != null && !finished) {
            finished = true;
            return List.of(new StreamEvent.Finished(stop, Usage.NONE));
        }
        return List.of();
    }
}
