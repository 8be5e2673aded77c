package dev.tollgate.server.trace;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * What the request log keeps of one request: who, which model, how it went, what it cost. The prompt
 * and the answer only when the caller's policy turns {@code capture_content} on. Key, team and
 * customer stay null until the gate authenticates the caller.
 *
 * @param client      the client's product token from its user agent, e.g. {@code codex_exec/0.169.0}
 * @param attempts    every upstream attempt in order, the last one being the answer (or the last failure)
 * @param ttftMillis  time to the first byte of the answer relayed to the client; null when none was
 * @param content     the prompt and the answer; null unless captured (and in search results, which leave it out)
 * @param notes       why the request was charged or sent as it was, when that is not the plain case (a stream cut
 *                    short charged on counted tokens, a provider that reported no usage, beta headers a backend
 *                    does not take); null when there is nothing to say
 * @param session     the agent session's id as its client named it (scoped to {@code keyId}); null outside a session
 * @param agent       the subagent that sent it within the session; null for the main agent
 * @param toolCall    the tool whose result this request carries (the call the agent has just run); null when none
 *
 * <p>Every text field is cut to {@link #MAX_TEXT} characters: what a client sends (a model name, a
 * user agent) must not grow the log by what it chooses to send. Content is bounded by {@link ContentCapture}.
 */
public record RequestRecord(String id, Instant time, String keyId, String team, String customer, String surface,
                            String api, String client, String requestedModel, String provider, String model,
                            List<Attempt> attempts, int status, String errorType, boolean stream,
                            long inputTokens, long outputTokens, long cachedTokens, long cacheWriteTokens,
                            long reasoningTokens, BigDecimal costUsd, double latencyMillis, Double ttftMillis,
                            double upstreamMillis, String policyCommit, String traceId, Content content, String notes,
                            String session, String agent, String toolCall) {

    /** Characters kept of a text field; a longer value keeps its start and says how long it was. */
    public static final int MAX_TEXT = 256;

    public RequestRecord {
        id = cut(id);
        keyId = cut(keyId);
        team = cut(team);
        customer = cut(customer);
        surface = cut(surface);
        api = cut(api);
        client = cut(client);
        requestedModel = cut(requestedModel);
        provider = cut(provider);
        model = cut(model);
        errorType = cut(errorType);
        policyCommit = cut(policyCommit);
        traceId = cut(traceId);
        session = cut(session);
        agent = cut(agent);
        toolCall = cut(toolCall);
        notes = notes == null || notes.length() <= MAX_NOTES ? notes : notes.substring(0, MAX_NOTES - 3) + "...";
    }

    /** Outside a session. */
    public RequestRecord(String id, Instant time, String keyId, String team, String customer, String surface,
                         String api, String client, String requestedModel, String provider, String model,
                         List<Attempt> attempts, int status, String errorType, boolean stream,
                         long inputTokens, long outputTokens, long cachedTokens, long cacheWriteTokens,
                         long reasoningTokens, BigDecimal costUsd, double latencyMillis, Double ttftMillis,
                         double upstreamMillis, String policyCommit, String traceId, Content content, String notes) {
        this(id, time, keyId, team, customer, surface, api, client, requestedModel, provider, model, attempts, status, errorType,
                stream, inputTokens, outputTokens, cachedTokens, cacheWriteTokens, reasoningTokens, costUsd, latencyMillis, ttftMillis,
                upstreamMillis, policyCommit, traceId, content, notes, null, null, null);
    }

    /** Without notes. */
    public RequestRecord(String id, Instant time, String keyId, String team, String customer, String surface,
                         String api, String client, String requestedModel, String provider, String model,
                         List<Attempt> attempts, int status, String errorType, boolean stream,
                         long inputTokens, long outputTokens, long cachedTokens, long cacheWriteTokens,
                         long reasoningTokens, BigDecimal costUsd, double latencyMillis, Double ttftMillis,
                         double upstreamMillis, String policyCommit, String traceId, Content content) {
        this(id, time, keyId, team, customer, surface, api, client, requestedModel, provider, model, attempts, status, errorType,
                stream, inputTokens, outputTokens, cachedTokens, cacheWriteTokens, reasoningTokens, costUsd, latencyMillis, ttftMillis,
                upstreamMillis, policyCommit, traceId, content, null);
    }

    /** Characters kept of the notes: they are the gateway's own sentences, but a beta list is the client's. */
    public static final int MAX_NOTES = 1024;

    /** {@code value} itself when short enough; else its start and "...[cut: N chars]", within MAX_TEXT. */
    static String cut(String value) {
        if (value == null || value.length() <= MAX_TEXT) {
            return value;
        }
        String marker = "...[cut: " + value.length() + " chars]";
        int end = MAX_TEXT - marker.length();
        if (Character.isHighSurrogate(value.charAt(end - 1))) {
            end--; // never half a character
        }
        return value.substring(0, end) + marker;
    }

    /**
     * A captured request body and answer (a stream's as the text the client received), each cut at
     * {@link ContentCapture#LIMIT} bytes with a marker; {@code response} is null when nothing was answered.
     */
    public record Content(String request, String response) {
    }

    /**
     * One call to a provider; {@code outcome} is "ok", an HTTP status, or how it failed (timeout, connect).
     * {@code dropped} counts what a translated request left out on purpose for this provider, by kind
     * ({@code reasoning}, {@code text.verbosity}, ...); empty when nothing was.
     */
    public record Attempt(String provider, String model, String outcome, double millis, java.util.Map<String, Integer> dropped) {
        public Attempt {
            provider = cut(provider);
            model = cut(model);
            outcome = cut(outcome);
            dropped = dropped == null ? java.util.Map.of() : java.util.Map.copyOf(dropped);
        }

        public Attempt(String provider, String model, String outcome, double millis) {
            this(provider, model, outcome, millis, java.util.Map.of());
        }
    }

    /** Attempts after the first: a retry or a fallback happened. */
    public int fallbacks() {
        return Math.max(0, attempts.size() - 1);
    }

    public double overheadMillis() {
        return Math.max(0, latencyMillis - upstreamMillis);
    }
}
