package dev.tollgate.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.ChatResponse;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import java.util.Map;

/**
 * OpenAI's {@code POST responses/compact} (older Codex's remote compaction) for a provider without
 * that endpoint: the history is asked for a summary as a {@code compaction_trigger} would ask it
 * (see {@link Compaction}), and the answer is the endpoint's own shape: the request's user messages
 * as sent, then one {@code compaction} item holding the sealed summary. A client API only: nothing
 * is ever sent upstream in this shape, and it is never streamed.
 */
public final class CompactCodec implements WireCodec {

    public static final CompactCodec INSTANCE = new CompactCodec();

    private CompactCodec() {
    }

    /** The body as a Responses request whose input ends with a trigger (a string input is one user message). */
    @Override
    public ChatRequest decodeRequest(JsonBody body) throws InvalidJsonException {
        ArrayNode input = Json.object().arrayNode();
        JsonNode given = body.node("input");
        if (given != null && given.isTextual()) {
            input.addObject().put("role", "user").put("content", given.asText());
        } else if (given != null && given.isArray()) {
            input.addAll((ArrayNode) given);
        }
        input.addObject().put("type", "compaction_trigger");
        return ResponsesCodec.INSTANCE.decodeRequest(JsonBody.parse(body.with(Map.of("input", Json.bytes(input)))));
    }

    @Override
    public byte[] encodeRequest(ChatRequest request) {
        throw new UnsupportedOperationException("responses/compact is a client API only");
    }

    @Override
    public StreamDecoder streamDecoder() {
        throw new UnsupportedOperationException("responses/compact is a client API only");
    }

    @Override
    public StreamEncoder streamEncoder(ChatRequest clientRequest) {
        throw new UnsupportedOperationException("responses/compact is never streamed");
    }

    /** Without the client's body only the compaction item can be given back. */
    @Override
    public byte[] encodeResponse(ChatResponse response, ChatRequest clientRequest) {
        return encodeResponse(response, clientRequest, null);
    }

    /** The kept user messages exactly as the client sent them, then the sealed summary, then the summary call's usage. */
    public byte[] encodeResponse(ChatResponse response, ChatRequest clientRequest, JsonBody clientBody) {
        CompactionStreamEncoder encoder = new CompactionStreamEncoder(clientRequest.model());
        JsonNode completed = null;
        for (StreamEvent e : response.events()) {
            for (SseEvent sse : encoder.encode(e)) {
                if ("response.completed".equals(sse.type())) {
                    completed = Json.parse(sse.data()).path("response");
                }
            }
        }
        if (completed == null) {
            throw new IllegalStateException("a finished answer always completes its compaction");
        }
        ObjectNode root = Json.object().put("id", completed.path("id").asText()).put("object", "response.compaction")
                .put("created_at", completed.path("created_at").asLong());
        ArrayNode output = root.putArray("output");
        JsonNode input = clientBody == null ? null : clientBody.node("input");
        if (input != null && input.isTextual()) {
            output.addObject().put("type", "message").put("role", "user").putArray("content").addObject()
                    .put("type", "input_text").put("text", input.asText());
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                if ("user".equals(item.path("role").asText()) && "message".equals(item.path("type").asText("message"))) {
                    output.add(item);
                }
            }
        }
        output.add(completed.path("output").path(0));
        root.set("usage", completed.path("usage"));
        return Json.bytes(root);
    }
}
