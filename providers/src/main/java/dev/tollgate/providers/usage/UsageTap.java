package dev.tollgate.providers.usage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Reads token usage from a response as it passes, parsing only the event that carries it.
 * One tap per response; not thread-safe.
 */
public sealed interface UsageTap {

    /** Looks at one event; {@code false} means the client must not see it. */
    boolean accept(SseEvent event);

    /** Usage seen so far ({@link Usage#NONE} until the upstream reported it). */
    Usage usage();

    /**
     * The generated content relayed so far (text, tool-call arguments, reasoning): a stream cut before
     * the provider's count is charged its tokens as output.
     */
    RelayedOutput relayed();

    /** The event reached the client (it was written): its generated content counts as relayed. */
    void written(SseEvent event);

    /** Usage of a whole (non-streamed) response body. */
    static Usage ofBody(Api api, byte[] body) {
        try {
            String field = api == Api.GEMINI ? "usageMetadata" : "usage";
            // Found from the end, where providers put it; else the whole answer is scanned (not built).
            JsonNode usage = JsonBody.lastTopLevelObject(body, field);
            if (usage == null) {
                usage = JsonBody.parse(body).node(field);
            }
            if (usage == null) {
                return Usage.NONE;
            }
            return switch (api) {
                case RESPONSES -> served(body, searched(responses(usage), WebSearchCalls.in(body)));
                case RESPONSES_COMPACT -> responses(usage);
                case MESSAGES -> ProviderUsage.anthropic(usage);
                case GEMINI -> grounded(body, ProviderUsage.gemini(usage));
                case CONVERSE -> ProviderUsage.bedrock(usage);
                case CHAT_COMPLETIONS, EMBEDDINGS -> served(body, chat(usage));
            };
        } catch (InvalidJsonException e) {
            return Usage.NONE;
        }
    }

    /**
     * The tap for a stream relayed as it came to a client of {@code api}: a chat client that did not
     * ask for usage does not see the usage chunk its adapter asked for on its behalf.
     */
    static UsageTap forPassthrough(Api api, JsonBody clientBody) {
        return forStream(api, api == Api.CHAT_COMPLETIONS && !clientAskedForUsage(clientBody));
    }

    /** Whether a chat client asked for the usage chunk itself ({@code stream_options.include_usage}). */
    static boolean clientAskedForUsage(JsonBody body) {
        var options = body.node("stream_options");
        return options != null && options.path("include_usage").asBoolean(false);
    }

    static UsageTap forStream(Api api, boolean hideUsageChunk) {
        return switch (api) {
            case RESPONSES, RESPONSES_COMPACT -> new Responses();
            case MESSAGES -> new Anthropic();
            case GEMINI -> new Gemini();
            case CONVERSE -> new Converse();
            case CHAT_COMPLETIONS, EMBEDDINGS -> new Chat(hideUsageChunk);
        };
    }

    /** A Gemini answer's Google searches, read only when the body names some. */
    private static Usage grounded(byte[] body, Usage u) {
        if (u == Usage.NONE || !contains(body, GroundingQueries.MARK)) {
            return u;
        }
        GroundingQueries g = new GroundingQueries();
        g.add(json(body));
        return g.onto(u);
    }

    /** Searches added to reported usage; unreadable usage stays {@link Usage#NONE}, so the request is charged its reservation. */
    private static Usage searched(Usage u, long searches) {
        return u == Usage.NONE ? u : u.withWebSearches(searches);
    }

    /** An OpenAI answer's top-level service_tier (the tier it was served in), read only when the body names one. */
    private static Usage served(byte[] body, Usage u) throws InvalidJsonException {
        if (u == Usage.NONE || !contains(body, "\"service_tier\"".getBytes(StandardCharsets.US_ASCII))) {
            return u;
        }
        JsonNode tier = JsonBody.parse(body).node("service_tier");
        return tier != null && tier.isTextual() && !tier.asText().isBlank() ? u.withServiceTier(tier.asText()) : u;
    }

    private static boolean contains(byte[] data, byte[] part) {
        outer:
        for (int i = 0; i <= data.length - part.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static Usage chat(JsonNode u) {
        return ProviderUsage.openAiChat(u);
    }

    static Usage responses(JsonNode u) {
        return ProviderUsage.openAiResponses(u);
    }

    private static JsonNode json(byte[] data) {
        try {
            return JsonBody.MAPPER.readTree(data);
        } catch (IOException e) {
            return JsonBody.MAPPER.missingNode();
        }
    }

    /**
     * Chat completions report usage in a final chunk with no choices, and only when asked with
     * {@code stream_options.include_usage}. When the gateway asked on the client's behalf, that chunk
     * is hidden so the client sees exactly what it asked for.
     */
    final class Chat implements UsageTap {
        private static final byte[] MARK = "\"usage\":{".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] MARK_SPACED = "\"usage\": {".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] DELTA = "\"delta\"".getBytes(StandardCharsets.US_ASCII);
        private static final Set<String> TEXT = Set.of("content", "arguments", "reasoning_content", "reasoning", "refusal");
        private final boolean hideUsageChunk;
        private Usage usage = Usage.NONE;
        private final RelayedOutput relayed = new RelayedOutput();

        Chat(boolean hideUsageChunk) {
            this.hideUsageChunk = hideUsageChunk;
        }

        @Override
        public RelayedOutput relayed() {
            return relayed;
        }

        @Override
        public void written(SseEvent event) {
            if (event.contains(DELTA)) {
                DeltaText.collect(event.data(), TEXT, Set.of(), relayed);
            }
        }

        @Override
        public boolean accept(SseEvent event) {
            if (!event.contains(MARK) && !event.contains(MARK_SPACED)) {
                return true;
            }
            JsonNode chunk = json(event.data());
            JsonNode u = chunk.path("usage");
            if (u.isObject()) {
                usage = chat(u);
                if (usage != Usage.NONE) {
                    usage = usage.withServiceTier(ProviderUsage.openAiServiceTier(chunk));
                }
                JsonNode choices = chunk.path("choices");
                return !(hideUsageChunk && (choices.isMissingNode() || choices.isEmpty()));
            }
            return true;
        }

        @Override
        public Usage usage() {
            return usage;
        }
    }

    /** The Responses API reports usage on its terminal event: completed, incomplete or failed. */
    final class Responses implements UsageTap {
        private static final byte[] COMPLETED = "response.completed".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] INCOMPLETE = "response.incomplete".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] FAILED = "response.failed".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] DELTA = ".delta\"".getBytes(StandardCharsets.US_ASCII);
        private static final Set<String> TEXT = Set.of("delta");
        private Usage usage = Usage.NONE;
        private final RelayedOutput relayed = new RelayedOutput();

        @Override
        public RelayedOutput relayed() {
            return relayed;
        }

        @Override
        public void written(SseEvent event) {
            if (event.contains(DELTA)) {
                DeltaText.collect(event.data(), TEXT, Set.of(), relayed);
            }
        }

        @Override
        public boolean accept(SseEvent event) {
            if (event.contains(COMPLETED) || event.contains(INCOMPLETE) || event.contains(FAILED)) {
                byte[] data = event.data();
                JsonNode response = json(data).path("response");
                JsonNode u = response.path("usage");
                if (u.isObject()) {
                    usage = searched(responses(u), WebSearchCalls.in(data));
                    if (usage != Usage.NONE) {
                        usage = usage.withServiceTier(ProviderUsage.openAiServiceTier(response));
                    }
                }
            }
            return true;
        }

        @Override
        public Usage usage() {
            return usage;
        }
    }

    /** Anthropic reports input on message_start and the final output count on message_delta. */
    final class Anthropic implements UsageTap {
        private static final byte[] START = "message_start".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] DELTA = "message_delta".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CONTENT = "content_block_delta".getBytes(StandardCharsets.US_ASCII);
        private static final Set<String> TEXT = Set.of("text", "partial_json", "thinking");
        private Usage usage = Usage.NONE;
        private final RelayedOutput relayed = new RelayedOutput();

        @Override
        public RelayedOutput relayed() {
            return relayed;
        }

        @Override
        public void written(SseEvent event) {
            if (event.contains(CONTENT)) {
                DeltaText.collect(event.data(), TEXT, Set.of(), relayed);
            }
        }

        @Override
        public boolean accept(SseEvent event) {
            if (event.contains(CONTENT)) {
                return true;
            } else if (event.contains(START)) {
                JsonNode u = json(event.data()).path("message").path("usage");
                if (u.isObject()) {
                    usage = ProviderUsage.anthropic(u);
                }
            } else if (event.contains(DELTA)) {
                JsonNode u = json(event.data()).path("usage");
                if (u.isObject()) {
                    usage = ProviderUsage.anthropic(u, usage);
                }
            }
            return true;
        }

        @Override
        public Usage usage() {
            return usage;
        }
    }

    /** Gemini repeats usageMetadata on chunks; the last one seen is the total. */
    final class Gemini implements UsageTap {
        private static final byte[] MARK = "usageMetadata".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CANDIDATES = "\"candidates\"".getBytes(StandardCharsets.US_ASCII);
        private static final Set<String> TEXT = Set.of("text");
        private static final Set<String> OBJECTS = Set.of("args");
        private Usage usage = Usage.NONE;
        private final GroundingQueries searches = new GroundingQueries();
        private final RelayedOutput relayed = new RelayedOutput();

        @Override
        public RelayedOutput relayed() {
            return relayed;
        }

        @Override
        public void written(SseEvent event) {
            if (event.contains(CANDIDATES)) {
                DeltaText.collect(event.data(), TEXT, OBJECTS, relayed);
            }
        }

        @Override
        public boolean accept(SseEvent event) {
            boolean hasUsage = event.contains(MARK);
            boolean hasSearches = event.contains(GroundingQueries.MARK);
            if (hasUsage || hasSearches) {
                JsonNode chunk = json(event.data());
                JsonNode u = chunk.path("usageMetadata");
                if (hasUsage && u.isObject()) {
                    usage = ProviderUsage.gemini(u);
                }
                if (hasSearches) {
                    searches.add(chunk);
                }
            }
            return true;
        }

        @Override
        public Usage usage() {
            return searches.onto(usage);
        }
    }

    /** Bedrock's ConverseStream reports usage once, on its metadata event after messageStop. */
    final class Converse implements UsageTap {
        private static final Set<String> TEXT = Set.of("text", "input");
        private Usage usage = Usage.NONE;
        private final RelayedOutput relayed = new RelayedOutput();

        @Override
        public RelayedOutput relayed() {
            return relayed;
        }

        @Override
        public void written(SseEvent event) {
            if ("contentBlockDelta".equals(event.type())) {
                DeltaText.collect(event.data(), TEXT, Set.of(), relayed);
            }
        }

        @Override
        public boolean accept(SseEvent event) {
            if ("metadata".equals(event.type())) {
                JsonNode u = json(event.data()).path("usage");
                if (u.isObject()) {
                    usage = ProviderUsage.bedrock(u);
                }
            }
            return true;
        }

        @Override
        public Usage usage() {
            return usage;
        }
    }
}
