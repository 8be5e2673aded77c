package dev.tollgate.policy;

import static dev.tollgate.policy.YamlFields.join;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** What governs a customer, team or key (budgets, limits, model access, expiry, capture), and those three sections. */
final class GovernanceSection {

    static final Set<String> FIELDS = Set.of("budgets", "limits", "allow_models", "deny_models",
            "max_concurrent", "expires", "labels", "capture_content", "unpriced", "brake");
    static final Set<String> CUSTOMER_FIELDS = union(FIELDS, "id", "name");
    static final Set<String> TEAM_FIELDS = union(FIELDS, "id", "customer", "name");
    static final Set<String> KEY_FIELDS = union(FIELDS, "id", "team", "sha256", "description", "revoked");
    static final Set<String> BUDGET_FIELDS = Set.of("amount_usd", "period", "model", "warn_at_percent", "downgrade");
    static final Set<String> DOWNGRADE_FIELDS = Set.of("at_percent", "to");
    static final Set<String> BRAKE_FIELDS = Set.of("repeated_tool_call", "requests_per_minute", "usd_per_minute", "pause_minutes");
    static final Set<String> LIMIT_FIELDS = limitFields();

    private final YamlFields f;
    /** Where each downgrade is written, for the check of its {@code to} once the whole policy is read. */
    private final Map<Budget.Downgrade, SourcePos> downgrades;

    GovernanceSection(YamlFields f) {
        this(f, new java.util.IdentityHashMap<>());
    }

    GovernanceSection(YamlFields f, Map<Budget.Downgrade, SourcePos> downgrades) {
        this.f = f;
        this.downgrades = downgrades;
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> all = new HashSet<>(base);
        all.addAll(List.of(more));
        return Set.copyOf(all);
    }

    private static Set<String> limitFields() {
        Set<String> all = new HashSet<>();
        for (RateLimit.Metric m : RateLimit.Metric.values()) {
            for (RateLimit.Window w : RateLimit.Window.values()) {
                all.add(new RateLimit(m, w, 1).field());
            }
        }
        return Set.copyOf(all);
    }

    Governance governance(JsonNode node, String path) {
        List<Budget> budgets = new ArrayList<>();
        Map<String, String> seenPeriods = new HashMap<>();
        f.each(node, path, "budgets", (b, where) -> {
            f.fields(b, where, BUDGET_FIELDS);
            BigDecimal usd = f.number(b, where, "amount_usd", true);
            String periodName = f.text(b, where, "period", true);
            String model = b.has("model") ? f.text(b, where, "model", false) : null;
            Budget.Period period = periodName == null ? null : Budget.Period.byId(periodName).orElse(null);
            if (periodName != null && period == null) {
                f.problem(join(where, "period"), "unknown budget period '" + periodName
                        + "' (use daily, weekly, monthly or total, calendar-aligned in UTC, or session: one agent session)");
            }
            if (usd != null && usd.signum() <= 0) {
                f.problem(join(where, "amount_usd"), "a budget of $" + usd.toPlainString()
                        + " can never be right: use an amount above 0 (to block use, deny_models: [\"*\"])");
                usd = null;
            }
            if (period != null && seenPeriods.putIfAbsent(period.id() + "/" + model, where) != null) {
                f.problem(join(where, "period"), "two " + period.id() + " budgets" + (model == null ? "" : " for model '" + model + "'")
                        + " at the same level; keep one");
                period = null;
            }
            Long warn = f.whole(b, where, "warn_at_percent", 1, null, " (the share of the budget spent from which answers warn)");
            if (warn != null && warn > 100) {
                f.problem(join(where, "warn_at_percent"), "'warn_at_percent' is " + warn + "; it must be at most 100 (a share of the budget)");
                warn = null;
            }
            Optional<Budget.Downgrade> downgrade = downgrade(b, where);
            if (usd != null && period != null) {
                budgets.add(new Budget(usd, period, Optional.ofNullable(model),
                        warn == null ? OptionalInt.empty() : OptionalInt.of(warn.intValue()), downgrade));
            }
        });
        List<RateLimit> limits = new ArrayList<>();
        JsonNode l = f.object(node, path, "limits");
        if (l != null) {
            String where = join(path, "limits");
            f.fields(l, where, LIMIT_FIELDS);
            for (RateLimit.Metric m : RateLimit.Metric.values()) {
                for (RateLimit.Window w : RateLimit.Window.values()) {
                    String field = new RateLimit(m, w, 1).field();
                    if (l.has(field)) {
                        Long amount = LimiterBounds.holds(w, field, l.get(field), msg -> f.problem(join(where, field), msg))
                                ? f.whole(l, where, field, 1, null, " (a limit of 0 blocks everything; use deny_models to block)") : null;
                        if (amount != null) {
                            limits.add(new RateLimit(m, w, amount));
                        }
                    }
                }
            }
        }
        ModelAccess access = new ModelAccess(f.strings(node, path, "allow_models"), f.strings(node, path, "deny_models"));
        Long concurrent = f.whole(node, path, "max_concurrent", 1, null, " (requests in flight at once)");
        Optional<Instant> expires = Optional.empty();
        if (node.has("expires") && !node.get("expires").isNull()) {
            JsonNode e = node.get("expires");
            String text = e.asText();
            try {
                expires = Optional.of(text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant()
                        : OffsetDateTime.parse(text).toInstant());
            } catch (DateTimeParseException ex) {
                f.problem(join(path, "expires"), "'expires' must be a date (2027-01-31, midnight UTC) or a time with offset "
                        + "(2027-01-31T18:00:00Z), found '" + text + "'");
            }
        }
        Optional<Boolean> capture = Optional.empty();
        if (node.has("capture_content")) {
            if (node.get("capture_content").isBoolean()) {
                capture = Optional.of(node.get("capture_content").asBoolean());
            } else {
                f.problem(join(path, "capture_content"), "'capture_content' must be true (keep prompts and answers in the "
                        + "request log) or false");
            }
        }
        return new Governance(budgets, limits, access,
                concurrent == null ? OptionalInt.empty() : OptionalInt.of(concurrent.intValue()), expires,
                f.stringMap(node, path, "labels"), capture, unpriced(node, path), brake(node, path));
    }

    private Optional<Budget.Downgrade> downgrade(JsonNode budget, String path) {
        JsonNode d = f.object(budget, path, "downgrade");
        if (d == null) {
            return Optional.empty();
        }
        String where = join(path, "downgrade");
        f.fields(d, where, DOWNGRADE_FIELDS);
        Long at = f.whole(d, where, "at_percent", 1, null, " (the share of the budget spent from which requests go to the cheaper model)");
        if (!d.has("at_percent")) {
            f.problem(join(where, "at_percent"), "a downgrade needs 'at_percent': the share of the budget spent (1 to 100) from which "
                    + "requests go to the model in 'to'");
        }
        if (at != null && at > 100) {
            f.problem(join(where, "at_percent"), "'at_percent' is " + at + "; it must be at most 100 (a share of the budget)");
            at = null;
        }
        String to = f.text(d, where, "to", true);
        if (at == null || to == null) {
            return Optional.empty();
        }
        Budget.Downgrade downgrade = new Budget.Downgrade(at.intValue(), to);
        downgrades.put(downgrade, f.doc.at(join(where, "to")));
        return Optional.of(downgrade);
    }

    private Optional<Brake> brake(JsonNode node, String path) {
        JsonNode b = f.object(node, path, "brake");
        if (b == null) {
            return Optional.empty();
        }
        String where = join(path, "brake");
        f.fields(b, where, BRAKE_FIELDS);
        Long repeated = f.whole(b, where, "repeated_tool_call", 2, null, " (the same tool call this many requests in a row)");
        Long rpm = f.whole(b, where, "requests_per_minute", 1, null, " (requests in one session within a minute)");
        BigDecimal usd = b.has("usd_per_minute") ? f.number(b, where, "usd_per_minute", false) : null;
        if (usd != null && usd.signum() <= 0) {
            f.problem(join(where, "usd_per_minute"), "'usd_per_minute' must be above 0");
            usd = null;
        }
        Long pause = f.whole(b, where, "pause_minutes", 1, null, " (how long a tripped session waits unless an operator resumes it)");
        if (pause != null && pause > 10_080) {
            f.problem(join(where, "pause_minutes"), "'pause_minutes' is " + pause + "; it must be at most 10080 (a week)");
            pause = null;
        }
        if (repeated == null && rpm == null && usd == null) {
            // A rule given but wrong is reported above; only a brake without any rule gets this one.
            if (!b.has("repeated_tool_call") && !b.has("requests_per_minute") && !b.has("usd_per_minute")) {
                f.problem(where, "a brake needs at least one rule: repeated_tool_call, requests_per_minute or usd_per_minute");
            }
            return Optional.empty();
        }
        return Optional.of(new Brake(repeated == null ? OptionalInt.empty() : OptionalInt.of(repeated.intValue()),
                rpm == null ? OptionalInt.empty() : OptionalInt.of(rpm.intValue()), Optional.ofNullable(usd),
                pause == null ? Brake.DEFAULT_PAUSE : java.time.Duration.ofMinutes(pause)));
    }

    private Optional<Governance.Unpriced> unpriced(JsonNode node, String path) {
        String value = node.has("unpriced") ? f.text(node, path, "unpriced", false) : null;
        if (value == null) {
            return Optional.empty();
        }
        return switch (value) {
            case "allow" -> Optional.of(Governance.Unpriced.ALLOW);
            case "refuse" -> Optional.of(Governance.Unpriced.REFUSE);
            default -> {
                f.problem(join(path, "unpriced"), "'unpriced' must be refuse (the default: a budget cannot hold a model it cannot price) "
                        + "or allow (serve models without a price at $0, e.g. a free self-hosted model), found '" + value + "'");
                yield Optional.empty();
            }
        };
    }

    Optional<Customer> customer(JsonNode node, String path) {
        f.fields(node, path, CUSTOMER_FIELDS);
        String id = f.id(node, path, "id");
        String name = node.has("name") ? f.text(node, path, "name", false) : id;
        Governance g = governance(node, path);
        return id == null ? Optional.empty() : Optional.of(new Customer(id, name == null ? id : name, g));
    }

    Optional<Team> team(JsonNode node, String path) {
        f.fields(node, path, TEAM_FIELDS);
        String id = f.id(node, path, "id");
        String customer = f.text(node, path, "customer", true);
        String name = node.has("name") ? f.text(node, path, "name", false) : id;
        Governance g = governance(node, path);
        return id == null || customer == null ? Optional.empty()
                : Optional.of(new Team(id, customer, name == null ? id : name, g));
    }

    Optional<VirtualKey> key(JsonNode node, String path) {
        f.fields(node, path, KEY_FIELDS);
        String id = f.id(node, path, "id");
        String team = f.text(node, path, "team", true);
        String hash = f.hash(node, path);
        String description = node.has("description") ? f.text(node, path, "description", false) : null;
        boolean revoked = node.path("revoked").asBoolean(false);
        if (node.has("revoked") && !node.get("revoked").isBoolean()) {
            f.problem(join(path, "revoked"), "'revoked' must be true or false");
        }
        Governance g = governance(node, path);
        return id == null || team == null || hash == null ? Optional.empty()
                : Optional.of(new VirtualKey(id, team, hash, description == null ? "" : description, g, revoked));
    }
}
