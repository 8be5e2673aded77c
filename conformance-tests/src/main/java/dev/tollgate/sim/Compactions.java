package dev.tollgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * OpenAI's remote compaction, as far as Codex needs it: a Responses call whose input ends with a
 * {@code compaction_trigger} answers exactly one {@code compaction} item (its opaque content names
 * how many items it stands for), and {@code POST /v1/responses/compact} answers the kept user
 * messages and one such item. Usage: the input as usual, 10 output tokens.
 */
final class Compactions {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int OUTPUT_TOKENS = 10;

    private Compactions() {
    }

    static boolean triggered(JsonNode body) {
        JsonNode input = body.path("input");
        return input.isArray() && !input.isEmpty() && "compaction_trigger".equals(input.get(input.size() - 1).path("type").asText());
    }

    /** How Codex opens the handoff summary of a compaction it made itself (a provider other than OpenAI's). */
    static final String CODEX_SUMMARY_PREFIX = "Another language model started to solve this problem and produced a summary";

    /** The summary text of a Codex local-compaction handoff message (after its first line); null for any other item. */
    static String localSummary(JsonNode item) {
        if (!"user".equals(item.path("role").asText())) {
            return null;
        }
        String text = InputText.flatten(item.get("content"));
        if (text == null || !text.startsWith(CODEX_SUMMARY_PREFIX)) {
            return null;
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? "" : text.substring(newline + 1);
    }

    /** Marks a gateway's opened compaction summary in a later request (see the gateway's Compaction). */
    static final String GATEWAY_SUMMARY = "compacted by the gateway";

    /**
     * The content names the items it replaces and the last tool output among them, so a later turn
     * that holds it is answered as if the tool had run (the work it summarizes was done).
     */
    private static ObjectNode item(JsonNode body) {
        String lastOutput = "";
        for (JsonNode i : body.path("input")) {
            String type = i.path("type").asText();
            if (type.equals("function_call_output") || type.equals("custom_tool_call_output")) {
                lastOutput = InputText.flatten(i.get("output"));
            }
        }
        ObjectNode inner = JSON.createObjectNode().put("items", Math.max(0, body.path("input").size() - 1)).put("last_output", lastOutput);
        String content = "sim-compaction:" + Base64.getEncoder().encodeToString(inner.toString().getBytes(StandardCharsets.UTF_8));
        return JSON.createObjectNode().put("id", Ids.next("cmp_sim")).put("type", "compaction").put("encrypted_content", content);
    }

    /** The last tool output a compaction item of this simulator stands for; null for anything else. */
    static String resumedOutput(JsonNode item) {
        String content = item.path("encrypted_content").asText("");
        if (!content.startsWith("sim-compaction:")) {
            return null;
        }
        try {
            return JSON.readTree(Base64.getDecoder().decode(content.substring("sim-compaction:".length()))).path("last_output").asText("");
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private static ObjectNode usage(Conversation conv) {
        ObjectNode u = JSON.createObjectNode().put("input_tokens", conv.inputTokens());
        u.putObject("input_tokens_details").put("cached_tokens", 0);
        u.put("output_tokens", OUTPUT_TOKENS);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", conv.inputTokens() + OUTPUT_TOKENS);
        return u;
    }

    /** The streamed answer to a triggered Responses call. */
    static void stream(ServerResponse res, JsonNode body, Conversation conv) throws IOException {
        String id = Ids.next("resp_sim");
        ObjectNode item = item(body);
        ObjectNode response = JSON.createObjectNode().put("id", id).put("object", "response").put("status", "in_progress")
                .put("model", conv.model());
        response.putArray("output");
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        try (OutputStream out = res.outputStream()) {
            int seq = 0;
            write(out, JSON.createObjectNode().put("type", "response.created").put("sequence_number", seq++).set("response", response.deepCopy()));
            ObjectNode added = JSON.createObjectNode().put("type", "response.output_item.added").put("sequence_number", seq++).put("output_index", 0);
            added.set("item", item);
            write(out, added);
            ObjectNode done = JSON.createObjectNode().put("type", "response.output_item.done").put("sequence_number", seq++).put("output_index", 0);
            done.set("item", item);
            write(out, done);
            response.put("status", "completed");
            ((ArrayNode) response.get("output")).add(item);
            response.set("usage", usage(conv));
            write(out, JSON.createObjectNode().put("type", "response.completed").put("sequence_number", seq).set("response", response));
        }
    }

    /** {@code POST /v1/responses/compact}: the user messages kept, then the compaction item. */
    static void compact(ServerResponse res, JsonNode body, Conversation conv) throws IOException {
        ObjectNode answer = JSON.createObjectNode().put("id", Ids.next("resp_sim")).put("object", "response.compaction")
                .put("created_at", System.currentTimeMillis() / 1000);
        ArrayNode output = answer.putArray("output");
        for (JsonNode item : body.path("input")) {
            if ("user".equals(item.path("role").asText())) {
                output.add(item);
            }
        }
        output.add(item(body));
        answer.set("usage", usage(conv));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(JSON.writeValueAsBytes(answer));
    }

    private static void write(OutputStream out, ObjectNode event) throws IOException {
        out.write(("event: " + event.path("type").asText() + "\ndata: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
