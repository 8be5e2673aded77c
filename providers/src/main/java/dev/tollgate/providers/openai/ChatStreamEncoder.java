package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.sse.SseEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Writes a chat completions stream: one chunk per delta, the finish reason, the usage chunk, {@code [DONE]}. */
final class ChatStreamEncoder implements WireCodec.StreamEncoder {

    private final ChatRequest client;
    private final boolean includeUsage;
    private final long created = System.currentTimeMillis() / 1000;
    /** IR block -> tool call index in this stream. */
    private final Map<Integer, Integer> calls = new HashMap<>();
    private String id = "chatcmpl-tollgate";
    private boolean roleSent;
    private boolean finished;

    ChatStreamEncoder(ChatRequest client, boolean includeUsage) {
        this.client = client;
        this.includeUsage = includeUsage;
    }

    @Override
    public List<SseEvent> encode(StreamEvent event) {
        List<SseEvent> out = new ArrayList<>(3);
        switch (event) {
            case StreamEvent.Started s -> id = ChatCodec.completionId(s.id());
            case StreamEvent.BlockStarted b -> {
                if (b.block() instanceof Part.ToolCall c) {
                    int index = calls.size();
                    calls.put(b.index(), index);
                    ObjectNode delta = delta();
                    ObjectNode call = delta.putArray("tool_calls").addObject().put("index", index).put("id", c.id()).put("type", "function");
                    call.putObject("function").put("name", c.name()).put("arguments", "");
                    out.add(chunk(delta, null));
                }
            }
            case StreamEvent.TextDelta d -> out.add(chunk(delta().put("content", d.text()), null));
            case StreamEvent.ThinkingDelta d -> out.add(chunk(delta().put("reasoning_content", d.text()), null));
            case StreamEvent.ToolArgumentsDelta d -> {
                Integer index = calls.get(d.index());
                if (index != null) {
                    ObjectNode delta = delta();
                    delta.putArray("tool_calls").addObject().put("index", index).putObject("function").put("arguments", d.json());
                    out.add(chunk(delta, null));
                }
            }
            case StreamEvent.ThinkingSealed s -> { }
            case StreamEvent.BlockStopped b -> { }
            case StreamEvent.Finished f -> {
                out.add(chunk(delta(), ChatCodec.finishReason(f.reason())));
                if (includeUsage) {
                    ObjectNode usage = base();
                    usage.putArray("choices");
                    usage.set("usage", ChatCodec.usage(f.usage()));
                    out.add(SseEvent.of(null, usage.toString()));
                }
                out.add(SseEvent.of(null, "[DONE]"));
                finished = true;
            }
            case StreamEvent.Failed f -> out.addAll(fail(f.message()));
        }
        return out;
    }

    /** The first delta carries the role, as OpenAI's do. */
    private ObjectNode delta() {
        ObjectNode delta = Json.object();
        if (!roleSent) {
            roleSent = true;
            delta.put("role", "assistant");
        }
        return delta;
    }

    private ObjectNode base() {
        return Json.object().put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", client.model());
    }

    private SseEvent chunk(ObjectNode delta, String finish) {
        ObjectNode chunk = base();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return SseEvent.of(null, chunk.toString());
    }

    @Override
    public List<SseEvent> fail(String message) {
        if (finished) {
            return List.of();
        }
        finished = true;
        ObjectNode e = Json.object();
        e.putObject("error").put("message", message).put("type", "server_error").putNull("param").put("code", "upstream_error");
        return List.of(SseEvent.of(null, e.toString()));
    }
}
