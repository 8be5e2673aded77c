package dev.tollgate.providers.gemini;

import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.function.Consumer;

/**
 * Writes Gemini's stream: a chunk per text delta, a function call whole once its arguments are, and
 * a last chunk with {@code finishReason} and usage (Gemini CLI retries an answer without one).
 */
final class GeminiStreamEncoder implements WireCodec.StreamEncoder {

    private final ChatRequest client;
    private final Map<Integer, Part.ToolCall> calls = new HashMap<>();
    private final Map<Integer, StringBuilder> arguments = new HashMap<>();
    private final Map<Integer, StringBuilder> thoughts = new HashMap<>();
    private final List<Part> claude = new ArrayList<>();
    private String responseId = "tollgate";
    private boolean finished;

    GeminiStreamEncoder(ChatRequest client) {
        this.client = client;
    }

    @Override
    public List<SseEvent> encode(StreamEvent event) {
        List<SseEvent> out = new ArrayList<>(1);
        switch (event) {
            case StreamEvent.Started s -> {
                if (s.id() != null && !s.id().isEmpty()) {
                    responseId = s.id();
                }
            }
            case StreamEvent.BlockStarted b -> {
                if (b.block() instanceof Part.ToolCall c) {
                    calls.put(b.index(), c);
                    arguments.put(b.index(), new StringBuilder());
                } else if (b.block() instanceof Part.RedactedThinking r) {
                    claude.add(r);
                } else if (b.block() instanceof Part.Thinking) {
                    thoughts.put(b.index(), new StringBuilder());
                }
            }
            case StreamEvent.TextDelta d -> out.add(chunk(part -> part.put("text", d.text()), null));
            case StreamEvent.ThinkingDelta d -> {
                StringBuilder thought = thoughts.get(d.index());
                if (thought != null) {
                    thought.append(d.text());
                }
                out.add(chunk(part -> part.put("text", d.text()).put("thought", true), null));
            }
            case StreamEvent.ToolArgumentsDelta d -> {
                StringBuilder args = arguments.get(d.index());
                if (args != null) {
                    args.append(d.json());
                }
            }
            case StreamEvent.BlockStopped b -> {
                Part.ToolCall c = calls.remove(b.index());
                if (c != null) {
                    String args = arguments.remove(b.index()).toString();
                    String signature = GeminiCodec.carrierOr(claude, c.signature());
                    claude.clear();
                    out.add(chunk(part -> GeminiCodec.functionCall(part, c.id(), c.name(), args, signature), null));
                }
            }
            case StreamEvent.ThinkingSealed s -> {
                // Claude's signed thinking, kept to ride on the next call's thought signature.
                StringBuilder thought = thoughts.remove(s.index());
                if (s.signature() != null && thought != null) {
                    claude.add(new Part.Thinking(thought.toString(), s.signature(), null));
                }
            }
            case StreamEvent.Finished f -> {
                ObjectNode last = chunkNode(null, GeminiCodec.finishReason(f.reason()));
                last.set("usageMetadata", GeminiCodec.usage(f.usage()));
                out.add(SseEvent.of(null, last.toString()));
                finished = true;
            }
            case StreamEvent.Failed f -> out.addAll(fail(f.message()));
        }
        return out;
    }

    private SseEvent chunk(Consumer<ObjectNode> part, String finish) {
        return SseEvent.of(null, chunkNode(part, finish).toString());
    }

    /** One GenerateContentResponse with one part (an empty text part on the last chunk). */
    private ObjectNode chunkNode(Consumer<ObjectNode> part, String finish) {
        ObjectNode root = Json.object();
        ObjectNode candidate = root.putArray("candidates").addObject();
        ArrayNode parts = candidate.putObject("content").put("role", "model").putArray("parts");
        if (part != null) {
            part.accept(parts.addObject());
        } else {
            parts.addObject().put("text", "");
        }
        if (finish != null) {
            candidate.put("finishReason", finish);
        }
        candidate.put("index", 0);
        root.put("modelVersion", client.model());
        root.put("responseId", responseId);
        return root;
    }

    @Override
    public List<SseEvent> fail(String message) {
        if (finished) {
            return List.of();
        }
        finished = true;
        ObjectNode e = Json.object();
        e.putObject("error").put("code", 502).put("message", message).put("status", "UNAVAILABLE");
        return List.of(SseEvent.of(null, e.toString()));
    }
}
