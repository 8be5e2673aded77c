package dev.tollgate.providers.usage;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Set;

/**
 * The Google searches a Gemini answer ran (grounding with Google Search): the distinct non-empty
 * queries in its candidates' {@code groundingMetadata.webSearchQueries}, which Google bills (per query
 * from Gemini 3, per grounded prompt before) and reports in no usage field. A stream may repeat them on
 * several chunks: the set keeps each once. Bounded: an answer claiming more queries than this is
 * counted at the bound, never ignored.
 */
public final class GroundingQueries {

    /** The field's name as it appears in an answer's bytes: only an answer with it is parsed for queries. */
    static final byte[] MARK = "\"webSearchQueries\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final int MAX = 1_000;
    private static final int MAX_QUERY_CHARS = 2_048;

    private final Set<String> queries = new HashSet<>();
    private long extra;

    /** Adds the queries of a response or stream chunk. */
    public void add(JsonNode responseOrChunk) {
        for (JsonNode candidate : responseOrChunk.path("candidates")) {
            for (JsonNode q : candidate.path("groundingMetadata").path("webSearchQueries")) {
                if (q.isTextual() && !q.asText().isBlank()) {
                    String text = q.asText().strip();
                    if (queries.size() < MAX) {
                        queries.add(text.length() > MAX_QUERY_CHARS ? text.substring(0, MAX_QUERY_CHARS) : text);
                    } else if (!queries.contains(text)) {
                        extra = Math.min(extra + 1, MAX);
                    }
                }
            }
        }
    }

    private long count() {
        return queries.size() + extra;
    }

    /** The usage with these searches; usage the provider did not report stays unreported (the reservation is charged). */
    public Usage onto(Usage u) {
        return u == Usage.NONE || count() == 0 ? u : u.withWebSearches(count());
    }
}
