package dev.tollgate.server.budget;

import java.util.concurrent.ConcurrentHashMap;

/**
 * How many output tokens a key usually gets from a model, to reserve an <em>expected</em> output
 * rather than {@code max_tokens} (Claude Code always asks for 64,000: reserving that would lock
 * budgets). A moving average that weighs the latest answer by a quarter and leans up: a longer answer
 * raises the expectation at once to halfway, so a run of long answers is soon covered.
 */
public final class OutputHistory {

    /** Before a key has used a model: a typical agent turn. */
    public static final long FIRST_GUESS = 1_000;

    private final ConcurrentHashMap<String, Long> expected = new ConcurrentHashMap<>();

    public long expected(String keyId, String model) {
        return expected.getOrDefault(keyId + '\n' + model, FIRST_GUESS);
    }

    public void observe(String keyId, String model, long outputTokens) {
        observe(keyId, model, outputTokens, 1);
    }

    /** @param choices how many answers shared {@code outputTokens}: the expectation is one answer's length */
    public void observe(String keyId, String model, long outputTokens, int choices) {
        long each = outputTokens / Math.max(1, choices);
        expected.merge(keyId + '\n' + model, each, (old, seen) -> seen > old ? (old + seen + 1) / 2 : (3 * old + seen) / 4);
    }
}
