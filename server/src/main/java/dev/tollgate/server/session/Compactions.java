package dev.tollgate.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.util.Optional;

/**
 * What a Responses request says of compaction, where a session's prompt cache starts over anyway and
 * a budget downgrade may switch its model: the newest {@code compaction} item it resends, or Codex's own
 * handoff summary (a mark of its content: it stays in every later request, so only a new one is a fresh
 * start), and whether it asks for one now (a {@code compaction_trigger} last, or Codex's compaction prompt).
 *
 * @param latest  a mark of the newest compaction item's (or Codex summary's) content, if the input holds one
 * @param trigger the input ends with a {@code compaction_trigger} or Codex's compaction prompt
 */
public record Compactions(Optional<String> latest, boolean trigger) {

    public static final Compactions NONE = new Compactions(Optional.empty(), false);

    /*
     * Codex 0.169 compacts by itself on a provider other than OpenAI's (a custom model_provider): a request
     * ending with a user message holding its compaction prompt, then a history holding the summary in a user
     * message that starts so. Both texts are Codex's own (codex-rs core templates).
     */
    private static final String CODEX_COMPACT_PROMPT = "You are performing a CONTEXT CHECKPOINT COMPACTION";
    private static final String CODEX_SUMMARY = "Another language model started to solve this problem and produced a summary";

    private static String mark(String content) {
        return Integer.toHexString(content.hashCode()) + ":" + content.length();
    }

    /** The text of a user message item (a string, or its first text part); "" for any other item. */
    private static String userText(JsonNode item) {
        if (!"message".equals(item.path("type").asText("message")) || !"user".equals(item.path("role").asText())) {
            return "";
        }
        JsonNode content = item.path("content");
        return content.isTextual() ? content.asText() : content.path(0).path("text").asText("");
    }

    public static Compactions of(Api api, JsonBody body) {
        if (api != Api.RESPONSES) {
            return NONE;
        }
        try {
            JsonNode input = body.node("input");
            if (input == null || !input.isArray() || input.isEmpty()) {
                return NONE;
            }
            String latest = null;
            for (JsonNode item : input) {
                String type = item.path("type").asText();
                if (type.equals("compaction") || type.equals("compaction_summary")) {
                    latest = mark(item.path("encrypted_content").asText(""));
                } else if (userText(item).startsWith(CODEX_SUMMARY)) {
                    latest = mark(userText(item));
                }
            }
            JsonNode last = input.get(input.size() - 1);
            boolean trigger = "compaction_trigger".equals(last.path("type").asText()) || userText(last).startsWith(CODEX_COMPACT_PROMPT);
            return new Compactions(Optional.ofNullable(latest), trigger);
        } catch (RuntimeException unexpectedShape) {
            return NONE; // the upstream judges the body; pacing only reads what it recognises
        }
    }
}
