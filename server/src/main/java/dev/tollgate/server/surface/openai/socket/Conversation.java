package dev.tollgate.server.surface.openai.socket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tollgate.providers.json.JsonBody;
import java.util.List;

/**
 * What one connection remembers so a {@code response.create} may send only its new items with
 * {@code previous_response_id}: the latest completed response's whole input and its output items.
 * Only the latest response is kept (Codex chains on nothing else), and only while input and output
 * together fit in {@code maxBytes}, the same bound as one HTTP body: an upstream is always sent the
 * whole history, as over HTTP, so a longer one could not be sent anyway.
 */
final class Conversation {

    /** What a {@code previous_response_id} names. */
    sealed interface Lookup {
        /** The latest response: its input and output come before the new items. */
        record Known(ArrayNode history) implements Lookup {
        }

        /** A response this connection answered but no longer holds (it outgrew the bound). */
        record Forgotten(String id) implements Lookup {
        }

        /** Not a response of this connection: the request goes on as the client sent it. */
        record Unknown() implements Lookup {
        }
    }

    private final long maxBytes;
    private String lastId;
    private ArrayNode lastHistory;
    private long lastBytes;
    private String forgottenId;

    Conversation(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    synchronized Lookup lookup(String previousId) {
        if (previousId.equals(lastId)) {
            return new Lookup.Known(lastHistory.deepCopy());
        }
        if (previousId.equals(forgottenId)) {
            return new Lookup.Forgotten(previousId);
        }
        return new Lookup.Unknown();
    }

    /** Remembers a completed response: the input it was given (already whole) and the items it produced. */
    synchronized void completed(String id, ArrayNode input, List<JsonNode> output, long inputBytes) {
        ArrayNode history = input.deepCopy();
        long bytes = inputBytes;
        for (JsonNode item : output) {
            history.add(item);
            bytes += item.toString().length();
        }
        if (bytes > maxBytes) {
            forget(id);
            return;
        }
        lastId = id;
        lastHistory = history;
        lastBytes = bytes;
        forgottenId = null;
    }

    private void forget(String id) {
        lastId = null;
        lastHistory = null;
        lastBytes = 0;
        forgottenId = id;
    }

    /** Bytes held now (the latest history's JSON length, roughly). */
    synchronized long bytes() {
        return lastBytes;
    }

    static ArrayNode emptyInput() {
        return JsonBody.MAPPER.createArrayNode();
    }
}
