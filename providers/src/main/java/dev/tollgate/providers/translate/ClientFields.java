package dev.tollgate.providers.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.json.JsonBody;
import java.util.Set;

/**
 * What a client asked for beyond the conversation itself (hosted tools, their history items, fields
 * with no counterpart upstream), judged before a request is translated for another format. Each is
 * carried where the target has it (web search as Anthropic's web search tool or Gemini's Google
 * Search grounding), dropped and counted where dropping is harmless (verbosity, reasoning summaries,
 * Codex's own tool_search and cached web_search, an image's detail), or refused with a 400 naming it
 * where the answer would silently lose what the client sent (a file, a stored conversation, a hosted
 * tool the client asked for on purpose). Never silently lost.
 */
public final class ClientFields {

    /** The verdict on one client request for one upstream API. */
    public sealed interface Verdict {
        /** The request cannot be served on this upstream: a 400 naming {@code param}. */
        record Refuse(String message, String param) implements Verdict {
        }

        /** It can: with these drops, and Google's or Anthropic's web search added when {@code webSearch}. */
        record Carry(Dropped dropped, boolean webSearch) implements Verdict {
        }
    }

    /** Items another format has no place for whose loss the next answer does not notice. */
    private static final Set<String> ITEMS_DROPPED = Set.of("web_search_call", "tool_search_call", "tool_search_output", "item_reference");
    /** Items other parts of the gateway take care of, or that the codec reads itself. */
    private static final Set<String> ITEMS_READ = Set.of("message", "function_call", "function_call_output", "custom_tool_call",
            "custom_tool_call_output", "reasoning", "additional_tools", "compaction", "compaction_trigger");

    private ClientFields() {
    }

    public static Verdict check(Api client, JsonBody body, Api upstream, String provider) {
        return switch (client) {
            case RESPONSES -> responses(body, upstream, provider);
            case MESSAGES -> anthropic(body);
            case CHAT_COMPLETIONS -> body.node("web_search_options") != null
                    ? new Verdict.Carry(Dropped.NONE.plus("web_search_options", 1), false) : new Verdict.Carry(Dropped.NONE, false);
            default -> new Verdict.Carry(Dropped.NONE, false);
        };
    }

    private static Verdict responses(JsonBody body, Api upstream, String provider) {
        JsonNode previous = body.node("previous_response_id");
        if (previous != null && !previous.isNull()) {
            return new Verdict.Refuse("'previous_response_id' cannot be served on this model: its provider '" + provider
                    + "' does not speak the Responses API and the gateway stores no responses. Send the whole conversation in 'input' "
                    + "each turn, with \"store\": false (Codex does so by default).", "previous_response_id");
        }
        Dropped dropped = Dropped.NONE;
        boolean webSearch = false;
        int functions = 0;
        ArrayNode tools = Json.object().arrayNode();
        if (body.node("tools") != null && body.node("tools").isArray()) {
            tools.addAll((ArrayNode) body.node("tools"));
        }
        JsonNode input = body.node("input");
        if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                String type = item.path("type").asText(item.has("role") ? "message" : "");
                if (type.equals("additional_tools")) {
                    item.path("tools").forEach(tools::add);
                } else if (ITEMS_DROPPED.contains(type)) {
                    dropped = dropped.plus(type, 1);
                } else if (!ITEMS_READ.contains(type)) {
                    dropped = dropped.plus(type.isEmpty() ? "unknown_item" : type, 1);
                }
                for (JsonNode part : item.path("content")) {
                    String partType = part.path("type").asText();
                    if (partType.equals("input_file")) {
                        return new Verdict.Refuse("'input_file' content cannot be sent to this model: its provider '" + provider
                                + "' is reached through another API, which takes no files from this gateway. Send the file's text as "
                                + "'input_text', or use an OpenAI model.", "input");
                    }
                    if (partType.equals("input_image") && part.hasNonNull("detail") && !"auto".equals(part.path("detail").asText())) {
                        dropped = dropped.plus("image.detail", 1); // the image goes; only the resolution hint has no counterpart
                    }
                }
            }
        }
        for (JsonNode t : tools) {
            String type = t.path("type").asText();
            switch (type) {
                case "function", "custom" -> functions++;
                case "namespace" -> functions += t.path("tools").size();
                case "web_search", "web_search_preview" -> {
                    // Codex's default search is cached (no live access); a live search upstream would do more than was asked.
                    boolean live = t.path("external_web_access").asBoolean(true);
                    if (live && (upstream == Api.MESSAGES)) {
                        webSearch = true;
                    } else if (live && upstream == Api.GEMINI) {
                        webSearch = true; // decided below: Gemini takes grounding only without function tools
                    } else {
                        dropped = dropped.plus("web_search", 1);
                    }
                }
                case "tool_search" -> dropped = dropped.plus("tool_search", 1);
                default -> {
                    // Hosted tools a client adds on purpose (file_search, code_interpreter, image_generation, mcp...).
                    if (!type.isEmpty()) {
                        return new Verdict.Refuse("The '" + type + "' tool cannot run on this model: it is hosted by OpenAI and provider '"
                                + provider + "' has no such tool. Remove it from 'tools', or use an OpenAI model.", "tools");
                    }
                }
            }
        }
        if (webSearch && upstream == Api.GEMINI && functions > 0) {
            webSearch = false;
            dropped = dropped.plus("web_search", 1);
        }
        JsonNode text = body.node("text");
        if (text != null && text.hasNonNull("verbosity")) {
            dropped = dropped.plus("text.verbosity", 1);
        }
        JsonNode reasoning = body.node("reasoning");
        if (reasoning != null && reasoning.hasNonNull("summary")) {
            dropped = dropped.plus("reasoning.summary", 1);
        }
        return new Verdict.Carry(dropped, webSearch);
    }

    /** Anthropic's server tools (web search, code execution...) run only on Anthropic. */
    private static Verdict anthropic(JsonBody body) {
        Dropped dropped = Dropped.NONE;
        JsonNode tools = body.node("tools");
        if (tools != null) {
            for (JsonNode t : tools) {
                if (!t.has("input_schema")) {
                    dropped = dropped.plus(t.path("type").asText("server_tool"), 1);
                }
            }
        }
        return new Verdict.Carry(dropped, false);
    }

    /** Adds the upstream's own web search to a translated request body. */
    public static byte[] withWebSearch(byte[] encoded, Api upstream) {
        JsonNode root = Json.parse(encoded);
        if (!(root instanceof ObjectNode obj)) {
            return encoded;
        }
        ArrayNode tools = obj.has("tools") && obj.get("tools").isArray() ? (ArrayNode) obj.get("tools") : obj.putArray("tools");
        switch (upstream) {
            case MESSAGES -> tools.addObject().put("type", "web_search_20250305").put("name", "web_search");
            case GEMINI -> tools.addObject().putObject("google_search");
            default -> {
                return encoded;
            }
        }
        return Json.bytes(obj);
    }
}
