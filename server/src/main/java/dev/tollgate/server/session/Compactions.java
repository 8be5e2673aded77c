package dev.tollgate.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import java.util.Optional;

/**
 * What a Responses request says of compaction, where a session's prompt cache starts over anyway and
 * a budget downgrade may switch its model: the newest {@code compaction} item it resends (a mark of
 * its content: the item stays in every later request, so only a new one is a fresh start), and
 * whether it asks for one now (a {@code compaction_trigger} last).
 *
 * @param latest  a mark of the newest compaction item's content, if the input holds one
 * @param trigger the input ends with a {@code compaction_trigger}
 */
public record Compactions(Optional<String> latest, boolean trigger) {

    public static final Compactions NONE = new Compactions(Optional.empty(), false);

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
                    String content = item.path("encrypted_content").asText("");
                    latest = Integer.toHexString(content.hashCode()) + ":" + content.length();
                }
            }
            boolean trigger = "compaction_trigger".equals(input.get(input.size() - 1).path("type").asText());
            return new Compactions(Optional.ofNullable(latest), trigger);
        } catch (RuntimeException unexpectedShape) {
            return NONE; // the upstream judges the body; pacing only reads what it recognises
        }
    }
}
