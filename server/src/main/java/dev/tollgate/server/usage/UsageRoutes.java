package dev.tollgate.server.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Principal;
import dev.tollgate.policy.RateLimit;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.budget.Budgets;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.budget.Periods;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.OpenAiErrors;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Identity;
import dev.tollgate.server.gate.PresentedKey;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.shared.StoreUnreachable;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Spend for the people who cause it and the people who pay: {@code GET /v1/usage} with a virtual key
 * (that key's spend, its chain's budgets with what remains, its limits) and {@code GET /admin/usage}
 * with an admin token ({@code ?by=key|team|customer|model&period=daily|weekly|monthly|total}). When
 * nodes share budgets through Redis both cover every node, and answer 503 while Redis does not.
 */
public final class UsageRoutes {

    private final PolicyHolder policy;
    private final Gate gate;

    public UsageRoutes(PolicyHolder policy, Gate gate) {
        this.policy = policy;
        this.gate = gate;
    }

    public void register(HttpRouting.Builder routing, List<String> prefixes) {
        for (String prefix : prefixes) {
            routing.get(prefix + "/usage", this::own);
        }
        routing.get("/admin/usage", this::admin);
    }

    private void own(ServerRequest req, ServerResponse res) {
        PolicySnapshot snapshot = policy.forRequest();
        switch (gate.identify(snapshot, PresentedKey.from(req))) {
            case Identity.Refused r -> OpenAiErrors.send(res, r.error());
            case Identity.Anonymous a -> OpenAiErrors.send(res, new GatewayError.BadRequest(
                    "This gateway's policy declares no virtual keys, so nothing is metered per key. Platform teams: GET /admin/usage.", null));
            case Identity.Caller c -> {
                ObjectNode body;
                try {
                    body = own(c.chain());
                } catch (StoreUnreachable e) {
                    OpenAiErrors.send(res, new GatewayError.SharedStateUnreachable());
                    return;
                }
                send(res, Status.OK_200, body);
            }
        }
    }

    ObjectNode own(KeyChain chain) {
        Spend spend = gate.spend();
        long day = Periods.day(spend.clock().millis());
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        out.put("key", chain.key().id());
        out.put("team", chain.team().id());
        out.put("customer", chain.customer().id());
        ObjectNode spent = out.putObject("spend");
        for (Budget.Period p : Budget.Period.values()) {
            if (!p.calendar()) {
                continue;
            }
            Budgets.Balance b = spend.balance(new Budgets.AccountId(Level.KEY, chain.key().id(), ""), p);
            spent.putObject(p.id()).put("spent_usd", Money.usd(b.spentNanos())).put("in_flight_usd", Money.usd(b.inFlightNanos()))
                    .put("from", start(p, day));
        }
        ArrayNode budgets = out.putArray("budgets");
        ArrayNode limits = out.putArray("limits");
        for (Principal level : chain.levels()) {
            Level l = Level.of(level);
            for (Budget budget : level.governance().budgets()) {
                if (!budget.period().calendar()) {
                    // A cap on each session, not one balance: GET /admin/sessions shows each session's spend.
                    ObjectNode row = budgets.addObject().put("level", l.id()).put("owner", level.id()).put("period", budget.period().id());
                    budget.model().ifPresent(m -> row.put("model", m));
                    row.put("limit_usd", budget.usd());
                    continue;
                }
                Budgets.Balance b = spend.balance(new Budgets.AccountId(l, level.id(), budget.model().orElse("")), budget.period());
                long limit = Money.nanos(budget.usd());
                ObjectNode row = budgets.addObject().put("level", l.id()).put("owner", level.id()).put("period", budget.period().id());
                budget.model().ifPresent(m -> row.put("model", m));
                row.put("limit_usd", budget.usd()).put("spent_usd", Money.usd(b.spentNanos())).put("in_flight_usd", Money.usd(b.inFlightNanos()))
                        .put("remaining_usd", Money.usd(Math.max(0, limit - b.spentNanos() - b.inFlightNanos())));
                LocalDate next = Periods.next(budget.period(), day);
                row.put("resets", next == null ? null : next.toString());
            }
            for (RateLimit limit : level.governance().limits()) {
                limits.addObject().put("level", l.id()).put("owner", level.id()).put("limit", limit.field()).put("amount", limit.amount())
                        .put("remaining", gate.limits().remaining(l, level.id(), limit));
            }
        }
        chain.key().governance().maxConcurrent().ifPresent(n -> out.put("max_concurrent", n));
        return out;
    }

    private static String start(Budget.Period p, long day) {
        long s = Periods.start(p, day);
        return s == Long.MIN_VALUE ? null : LocalDate.ofEpochDay(s).toString();
    }

    private void admin(ServerRequest req, ServerResponse res) {
        PolicySnapshot snapshot = policy.forRequest();
        Optional<String> bearer = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).trim());
        if (bearer.flatMap(b -> dev.tollgate.server.admin.AdminAuth.admin(snapshot, b)).isEmpty()) {
            send(res, Status.UNAUTHORIZED_401, error(snapshot.policy().admins().isEmpty() && snapshot.policy().sso().roles().isEmpty()
                    ? "The policy declares no admins; add one under 'admins:' (`tollgate keys new --admin --id NAME --role viewer`)."
                    : "Send an admin token of the policy in force: Authorization: Bearer <token>."));
            return;
        }
        String byName = req.query().first("by").orElse("key").toLowerCase(Locale.ROOT);
        String periodName = req.query().first("period").orElse("monthly").toLowerCase(Locale.ROOT);
        Optional<Ledger.By> by = Arrays.stream(Ledger.By.values()).filter(b -> b.name().equalsIgnoreCase(byName)).findFirst();
        Optional<Budget.Period> period = Budget.Period.byId(periodName).filter(Budget.Period::calendar);
        if (by.isEmpty() || period.isEmpty()) {
            ObjectNode error = error("'by' must be key, team, customer or model and 'period' daily, weekly, monthly or total: "
                    + "use ?by=key|team|customer|model&period=daily|weekly|monthly|total.");
            ((ObjectNode) error.get("error")).put("type", "invalid_request");
            send(res, Status.BAD_REQUEST_400, error);
            return;
        }
        ObjectNode report;
        try {
            report = report(by.get(), period.get());
        } catch (StoreUnreachable e) {
            OpenAiErrors.send(res, new GatewayError.SharedStateUnreachable());
            return;
        }
        send(res, Status.OK_200, report);
    }

    ObjectNode report(Ledger.By by, Budget.Period period) {
        Spend spend = gate.spend();
        long day = Periods.day(spend.clock().millis());
        long from = Periods.start(period, day);
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        out.put("by", by.name().toLowerCase(Locale.ROOT));
        out.put("period", period.id());
        out.put("from", from == Long.MIN_VALUE ? null : LocalDate.ofEpochDay(from).toString());
        ArrayNode rows = out.putArray("rows");
        for (Ledger.UsageLine line : spend.usage(by, period)) {
            rows.addObject().put(by.name().toLowerCase(Locale.ROOT), line.name()).put("requests", line.requests())
                    .put("spent_usd", Money.usd(line.spentNanos())).put("in_flight_usd", Money.usd(line.inFlightNanos()))
                    .put("input_tokens", line.inputTokens()).put("output_tokens", line.outputTokens());
        }
        return out;
    }

    private static ObjectNode error(String message) {
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        out.putObject("error").put("type", "unauthorized").put("message", message);
        return out;
    }

    private static void send(ServerResponse res, Status status, ObjectNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(dev.tollgate.providers.json.JsonBody.write(body)); // plain decimals
    }
}
