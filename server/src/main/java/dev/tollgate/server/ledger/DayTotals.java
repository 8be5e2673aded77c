package dev.tollgate.server.ledger;

/**
 * Settled spend of one account chain, model and UTC day: one {@code spend_day} row, which is all
 * budgets and usage reports read.
 */
record DayTotals(long requests, long costNanos, long inputTokens, long outputTokens, long cachedTokens,
                 long cacheWriteTokens, long reasoningTokens, long estimated, long recovered) {

    /** Whose spend, of which model, on which day: the row's primary key. */
    record Account(String keyId, String teamId, String customerId, String model, long day) {

        static Account of(Reservation r) {
            return new Account(r.keyId(), r.teamId(), r.customerId(), r.model(), r.day());
        }
    }

    /** One settled request. */
    static DayTotals of(Journal.Row settled) {
        Charge c = settled.charge();
        var u = c.usage();
        return new DayTotals(1, c.nanos(), u.inputTokens(), u.outputTokens(), u.cachedInputTokens(), u.cacheWriteTokens(),
                u.reasoningTokens(), c.estimated() ? 1 : 0, 0);
    }

    /** One reservation a stop left unsettled, charged at its reserved amount. */
    static DayTotals recovered(Journal.Row reservation) {
        return new DayTotals(1, reservation.reservedNanos(), 0, 0, 0, 0, 0, 0, 1);
    }

    DayTotals plus(DayTotals o) {
        return new DayTotals(requests + o.requests, costNanos + o.costNanos, inputTokens + o.inputTokens,
                outputTokens + o.outputTokens, cachedTokens + o.cachedTokens, cacheWriteTokens + o.cacheWriteTokens,
                reasoningTokens + o.reasoningTokens, estimated + o.estimated, recovered + o.recovered);
    }
}
