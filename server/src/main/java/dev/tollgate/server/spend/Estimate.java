package dev.tollgate.server.spend;

/**
 * What a request is expected to cost before it is sent: counted input, expected output, and the
 * price of both in nano-dollars ({@code nanos} is 0 for a model without a price).
 */
public record Estimate(long inputTokens, long outputTokens, long nanos) {
}
