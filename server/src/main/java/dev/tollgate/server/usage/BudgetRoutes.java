package dev.tollgate.server.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Budget;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Principal;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.admin.AdminAuth;
import dev.tollgate.server.budget.Budgets;
import dev.tollgate.server.budget.Level;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.budget.Periods;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.OpenAiErrors;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.shared.StoreUnreachable;
import dev.tollgate.server.telemetry.RequestLog;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /admin/budgets} (admin token): every budget of the policy with its limit, what is spent and
 * held in its period (the live balances budgets are decided on), when it resets, the recent burn rate (the
 * spend since the period began when that is within the last 24 hours, from the balance; else the request
 * log's spend of the last 24 hours) and the date the
 * budget runs out at that rate, when that is before it resets. Session budgets cap each session, so they
 * have no balance here: GET /admin/sessions shows each session's spend.
 */
public final class BudgetRoutes {

    /** How far back the burn rate looks: long enough to smooth a lunch break, short enough to see a runaway today. */
    static final Duration BURN_WINDOW = Duration.ofHours(24);

    private final PolicyHolder policy;
    private final Gate gate;
    private final RequestLog log;

    /** @param log null when the request log is off: then no burn rate and no run-out date */
    public BudgetRoutes(PolicyHolder policy, Gate gate, RequestLog log) {
        this.policy = policy;
        this.gate = gate;
        this.log = log;
    }

    public void register(HttpRouting.Builder routing) {
        routing.get("/admin/budgets", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        if (AdminAuth.authorize(policy, req, res, false).isEmpty()) {
            return;
        }
        ObjectNode out;
        try {
            out = report(policy.current(), Instant.ofEpochMilli(gate.spend().clock().millis()));
        } catch (StoreUnreachable e) {
            OpenAiErrors.send(res, new GatewayError.SharedStateUnreachable());
            return;
        } catch (SQLException e) {
            ObjectNode error = JsonBody.MAPPER.createObjectNode();
            error.putObject("error").put("type", "server_error").put("message", "The request log could not be read: " + e.getMessage());
            send(res, Status.INTERNAL_SERVER_ERROR_500, error);
            return;
        }
        send(res, Status.OK_200, out);
    }

    ObjectNode report(PolicySnapshot snapshot, Instant now) throws SQLException {
        Spend spend = gate.spend();
        long day = Periods.day(now.toEpochMilli());
        ObjectNode out = JsonBody.MAPPER.createObjectNode().put("now", now.toString()).put("burn_window_hours", BURN_WINDOW.toHours());
        ArrayNode rows = out.putArray("budgets");
        List<Principal> principals = new ArrayList<>();
        principals.addAll(snapshot.policy().customers());
        principals.addAll(snapshot.policy().teams());
        principals.addAll(snapshot.policy().keys());
        for (Principal p : principals) {
            Level level = Level.of(p);
            for (Budget b : p.governance().budgets()) {
                ObjectNode row = rows.addObject().put("level", level.id()).put("owner", p.id()).put("period", b.period().id());
                b.model().ifPresent(m -> row.put("model", m));
                row.put("limit_usd", b.usd());
                if (!b.period().calendar()) {
                    row.put("note", "A cap on each session: GET /admin/sessions shows each session's spend.");
                    continue;
                }
                Budgets.Balance balance = spend.balance(new Budgets.AccountId(level, p.id(), b.model().orElse("")), b.period());
                long limit = Money.nanos(b.usd());
                long remaining = Math.max(0, limit - balance.spentNanos() - balance.inFlightNanos());
                LocalDate resets = Periods.next(b.period(), day);
                row.put("spent_usd", Money.usd(balance.spentNanos())).put("in_flight_usd", Money.usd(balance.inFlightNanos()))
                        .put("remaining_usd", Money.usd(remaining)).put("resets", resets == null ? null : resets.toString());
                if (log == null) {
                    continue;
                }
                long start = Periods.start(b.period(), day);
                Instant from = now.minus(BURN_WINDOW);
                boolean wholePeriod = start != Long.MIN_VALUE && LocalDate.ofEpochDay(start).atStartOfDay(ZoneOffset.UTC).toInstant().isAfter(from);
                if (wholePeriod) {
                    from = LocalDate.ofEpochDay(start).atStartOfDay(ZoneOffset.UTC).toInstant();
                }
                // Since the period began, the balance is the spend itself, every node's in Redis mode (the request log is
                // this node's); a window inside a longer period reads the request log.
                long burned = wholePeriod ? balance.spentNanos() : spentSince(level, p.id(), b.model().orElse(null), from);
                long windowMillis = Math.max(60_000, now.toEpochMilli() - from.toEpochMilli()); // a minute at least: no rate from one instant
                // Nanodollars a day, rounded down: the rate is a projection, the balances above are exact.
                long perDay = java.math.BigInteger.valueOf(burned).multiply(java.math.BigInteger.valueOf(86_400_000L))
                        .divide(java.math.BigInteger.valueOf(windowMillis)).longValue();
                row.put("burn_usd_per_day", Money.usd(perDay));
                Instant runsOut = remaining == 0 ? now
                        : perDay == 0 ? null : now.plusMillis((long) ((double) remaining / perDay * 86_400_000L));
                Instant reset = resets == null ? null : resets.atStartOfDay(ZoneOffset.UTC).toInstant();
                if (runsOut != null && (reset == null || runsOut.isBefore(reset))) {
                    row.put("runs_out", runsOut.toString());
                } else {
                    row.putNull("runs_out");
                }
            }
        }
        return out;
    }

    /** The request log's priced spend of one level's owner (one model of it, when given) since then, in nanodollars. */
    private long spentSince(Level level, String owner, String model, Instant from) throws SQLException {
        String column = switch (level) {
            case KEY -> "key_id";
            case TEAM -> "team";
            case CUSTOMER -> "customer";
        };
        String sql = "SELECT SUM(CAST(ROUND(CAST(cost_usd AS REAL) * 1000000000) AS INTEGER)) FROM requests WHERE " + column
                + " = ? AND time_ms >= ?" + (model == null ? "" : " AND requested_model = ?");
        return log.read(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, owner);
                st.setLong(2, from.toEpochMilli());
                if (model != null) {
                    st.setString(3, model);
                }
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getLong(1); // 0 for none
                }
            }
        });
    }

    private static void send(ServerResponse res, Status status, ObjectNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(JsonBody.write(body)); // plain decimals
    }
}
