package dev.tollgate.server.replay;

import dev.tollgate.providers.usage.Usage;

/**
 * One request of an export, as replay needs it: metadata only. {@code costNanos} is what the gateway
 * charged at the time (-1 when it recorded none); {@code line} is where it was read, for reports.
 */
record Recorded(long line, long atMillis, String key, String team, String customer, String requestedModel, String provider,
                String model, int status, Usage usage, long costNanos) {
}
