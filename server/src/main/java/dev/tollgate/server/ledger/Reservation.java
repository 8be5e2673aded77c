package dev.tollgate.server.ledger;

/**
 * An amount held on every budget account of a request's chain until the request settles. The
 * ledger keeps it too, so a crash before settling still charges it.
 *
 * @param day     the UTC epoch day it was made: the periods it counts in
 * @param model   the model name as requested (per-model budgets match it)
 */
public record Reservation(long id, long atMillis, long day, String keyId, String teamId, String customerId, String model,
                          long nanos) {
}
