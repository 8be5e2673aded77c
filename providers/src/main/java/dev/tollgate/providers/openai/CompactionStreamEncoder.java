package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer to a {@code compaction_trigger} on a translated upstream: the model's summary is kept
 * back, and the client gets exactly one output item, a {@code compaction} whose content is the
 * sealed summary ({@link Compaction}), then {@code response.completed} with the call's usage.
 */
final class CompactionStreamEncoder implements WireCodec.StreamEncoder {

    private final StringBuilder summary = new StringBuilder();
    private final long createdAt = System.currentTimeMillis() / 1000;
    private final String model;
    private String id = "resp_tollgate";
    private int sequence;
    private boolean started;
    private boolean finished;

    CompactionStreamEncoder(String model) {
        this.model = model;
    }

    @Override
    public List<SseEvent> encode(StreamEvent event) {
        List<SseEvent> out = new ArrayList<>(3);
        switch (event) {
            case StreamEvent.Started s -> {
                if (s.id() != null && !s.id().isEmpty()) {
                    id = s.id().startsWith("resp_") ? s.id() : "resp_" + s.id();
                }
                start(out);
            }
            case StreamEvent.TextDelta d -> summary.append(d.text());
            case StreamEvent.Finished f -> {
                start(out);
                if (finished) {
                    return out;
                }
                finished = true;
                String text = summary.isEmpty() ? "(The model gave no summary.)" : summary.toString();
                ObjectNode item = Json.object().put("id", "cmp_" + id.substring(Math.min(5, id.length()))).put("type", "compaction")
                        .put("encrypted_content", Compaction.seal(text));
                ObjectNode added = event("response.output_item.added").put("output_index", 0);
                added.set("item", item);
                out.add(sse(added));
                ObjectNode done = event("response.output_item.done").put("output_index", 0);
                done.set("item", item);
                out.add(sse(done));
                ObjectNode completed = event("response.completed");
                ObjectNode r = response("completed");
                r.putArray("output").add(item);
                r.set("usage", ResponsesStreamEncoder.usage(f.usage()));
                completed.set("response", r);
                out.add(sse(completed));
            }
            case StreamEvent.Failed f -> out.addAll(fail(f.message()));
            default -> { } // tool calls and reasoning have no place in a compaction
        }
        return out;
    }

    private void start(List<SseEvent> out) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode created = event("response.created");
        created.set("response", response("in_progress"));
        out.add(sse(created));
    }

    @Override
    public List<SseEvent> fail(String message) {
        if (finished) {
            return List.of();
        }
        finished = true;
        ObjectNode e = event("response.failed");
        ObjectNode r = response("failed");
        r.putObject("error").put("code", "server_error").put("message", message);
        e.set("response", r);
        return List.of(sse(e));
    }

    private ObjectNode event(String type) {
        return Json.object().put("type", type).put("sequence_number", sequence++);
    }

    private ObjectNode response(String status) {
        ObjectNode r = Json.object().put("id", id).put("object", "response").put("created_at", createdAt).put("status", status)
                .put("model", model);
        r.putArray("output");
        return r;
    }

    private static SseEvent sse(ObjectNode event) {
        return SseEvent.of(event.path("type").asText(), event.toString());
    }
}
