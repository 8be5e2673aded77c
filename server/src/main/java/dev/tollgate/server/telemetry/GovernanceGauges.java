package dev.tollgate.server.telemetry;

import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.Route;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.budget.SpendBook;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.route.CircuitBreaker;
import dev.tollgate.server.route.Upstreams;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Gauges read from the gateway's state at each scrape, one series per thing the policy declares (so
 * a budget or target the policy drops disappears with it): what is left of each budget in its current
 * period, and each target's circuit.
 */
final class GovernanceGauges {

    private final Spend spend;
    private final Upstreams upstreams;
    private final MultiGauge budgets;
    private final MultiGauge circuits;

    GovernanceGauges(io.micrometer.core.instrument.MeterRegistry registry, Spend spend, Upstreams upstreams) {
        this.spend = spend;
        this.upstreams = upstreams;
        budgets = MultiGauge.builder("tollgate.budget.remaining").baseUnit("usd")
                .description("USD left of a budget in its current period: limit minus spent minus reserved by requests in flight "
                        + "(below 0 when estimates fell short).")
                .register(registry);
        circuits = MultiGauge.builder("tollgate.circuit.state")
                .description("A target's circuit breaker: 0 closed, 1 half-open (the next call is a probe), 2 open.")
                .register(registry);
    }

    void refresh(PolicySnapshot policy) {
        budgets.register(budgetRows(policy), true);
        circuits.register(circuitRows(policy), true);
    }

    private List<MultiGauge.Row<?>> budgetRows(PolicySnapshot policy) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        if (Gate.open(policy)) {
            return rows; // no keys, no budgets enforced (and no ledger to open)
        }
        Stream.<Principal>concat(Stream.concat(policy.policy().customers().stream(), policy.policy().teams().stream()),
                policy.policy().keys().stream()).forEach(owner -> {
            Level level = Level.of(owner);
            for (Budget budget : owner.governance().budgets()) {
                SpendBook.Balance b = spend.balance(new SpendBook.AccountId(level, owner.id(), budget.model().orElse("")), budget.period());
                long left = Money.nanos(budget.usd()) - b.spentNanos() - b.inFlightNanos();
                rows.add(MultiGauge.Row.of(Tags.of("level", level.id(), "owner", owner.id(), "period", budget.period().id(),
                        "model", budget.model().orElse("all")), Money.usd(left).doubleValue()));
            }
        });
        return rows;
    }

    private List<MultiGauge.Row<?>> circuitRows(PolicySnapshot policy) {
        Map<String, Route.Target> targets = new LinkedHashMap<>();
        for (String model : policy.catalog()) {
            policy.resolve(model).ifPresent(route -> route.targets().forEach(t -> targets.putIfAbsent(Upstreams.targetKey(t), t)));
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        targets.values().forEach(t -> rows.add(MultiGauge.Row.of(Tags.of("provider", t.provider().id(), "model", t.model()),
                upstreams.existingCircuit(t).map(c -> state(c, upstreams)).orElse(0))));
        return rows;
    }

    private static int state(CircuitBreaker circuit, Upstreams upstreams) {
        return switch (circuit.state()) {
            case CircuitBreaker.State.Closed c -> 0;
            case CircuitBreaker.State.HalfOpen h -> 1;
            case CircuitBreaker.State.Open o -> upstreams.clock().instant().isBefore(o.until()) ? 2 : 1;
        };
    }
}
