package dev.tollgate.server.telemetry;

import dev.tollgate.server.models.ModelName;
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
 */
public record RequestRecord(String id, Instant time, String keyId, String team, String customer, String surface,
                            String api, String client, String requestedModel, String provider, String model,
                            List<Attempt> attempts, int status, String errorType, boolean stream,
                            long inputTokens, long outputTokens, long cachedTokens, long cacheWriteTokens,
                            long reasoningTokens, BigDecimal costUsd, double latencyMillis, Double ttftMillis,
                            double upstreamMillis, String policyCommit, String traceId, Content content) {

    public RequestRecord {
        // A refused name is logged as the client sent it, so it is cut: the log must not grow by what a client sends.
        requestedModel = cut(requestedModel);
        model = cut(model);
    }

    private static String cut(String name) {
        return name == null || name.length() <= ModelName.MAX_LENGTH ? name : name.substring(0, ModelName.MAX_LENGTH);
    }

    /**
     * A captured request body and answer (a stream's as the text the client received), each cut at
     * {@link ContentCapture#LIMIT} bytes with a marker; {@code response} is null when nothing was answered.
     */
    public record Content(String request, String response) {
    }

    /** One call to a provider; {@code outcome} is "ok", an HTTP status, or how it failed (timeout, connect). */
    public record Attempt(String provider, String model, String outcome, double millis) {
    }

    /** Attempts after the first: a retry or a fallback happened. */
    public int fallbacks() {
        return Math.max(0, attempts.size() - 1);
    }

    public double overheadMillis() {
        return Math.max(0, latencyMillis - upstreamMillis);
    }
}
