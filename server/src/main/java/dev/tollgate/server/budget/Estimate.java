package dev.tollgate.server.budget;

/**
 * What a request is expected to cost before it is sent: counted input, expected output (of every
 * answer asked for), and the price of both in nano-dollars ({@code nanos} is 0 for a model without a price).
 *
 * @param inputTokens  the input as the provider is expected to bill it (the count times the model's learned {@link InputRatio})
 * @param choices      how many answers the request asked for; the real output is shared among them
 * @param countedInput the gateway's own count, which the ratio learns against
 * @param serviceTier  the service tier the request asked for ({@code service_tier}); null when it did not say
 */
public record Estimate(long inputTokens, long outputTokens, long nanos, int choices, long countedInput, String serviceTier) {

    public Estimate(long inputTokens, long outputTokens, long nanos, int choices, long countedInput) {
        this(inputTokens, outputTokens, nanos, choices, countedInput, null);
    }

    public Estimate(long inputTokens, long outputTokens, long nanos, int choices) {
        this(inputTokens, outputTokens, nanos, choices, inputTokens);
    }

    public Estimate(long inputTokens, long outputTokens, long nanos) {
        this(inputTokens, outputTokens, nanos, 1);
    }
}
