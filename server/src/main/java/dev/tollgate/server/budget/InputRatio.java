package dev.tollgate.server.budget;

import java.util.concurrent.ConcurrentHashMap;

/**
 * How many input tokens a provider bills for each token the gateway counts, per model: tokenizers
 * differ (o200k_base here, the provider's own there) and providers add their own framing. A moving
 * ratio that leans up like {@link OutputHistory} (a higher ratio moves it halfway at once, a lower one a
 * quarter), never below 1 and at most 8, so that one absurd report cannot lock a budget; the reservation
 * counts input with it, so estimates stop falling short under concurrency once a model has been seen.
 */
public final class InputRatio {

    /** In thousandths: a model never seen is billed as counted. */
    static final long SAME = 1_000;
    /** Never below the count: reserving more than a provider bills only settles lower; less could overrun a budget. */
    private static final long LOWEST = SAME;
    private static final long HIGHEST = 8_000;

    private final ConcurrentHashMap<String, Long> perMille = new ConcurrentHashMap<>();

    /** The counted input as the provider is expected to bill it. */
    public long expected(String model, long counted) {
        long ratio = perMille.getOrDefault(model, SAME);
        return (counted * ratio + SAME - 1) / SAME;
    }

    /** A settled request's counted and reported input. */
    public void observe(String model, long counted, long reported) {
        if (counted <= 0 || reported <= 0) {
            return;
        }
        long seen = Math.clamp(reported * SAME / counted, LOWEST, HIGHEST);
        perMille.merge(model, seen, (old, now) -> now > old ? (old + now + 1) / 2 : (3 * old + now) / 4);
    }
}
