package dev.tollgate.server.ledger;

import dev.tollgate.providers.usage.Usage;

/**
 * What a settled request cost, and why: {@code estimated} is true when the provider never reported
 * usage (a stream cut short) and the tokens were estimated from what reached the client.
 */
public record Charge(long nanos, Usage usage, boolean estimated) {
}
