package dev.tollgate.policy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What changes for whom between two policies, in the words a reviewer reads in a pull request:
 * "key alice: monthly budget $50 -> $100", "team infra may now use claude-*".
 */
public final class PolicyDiff {

    private PolicyDiff() {
    }

    public static List<String> between(Policy before, Policy after) {
        List<String> out = new ArrayList<>();
        compare(out, "provider", before.providers(), after.providers(), Provider::id, PolicyDiff::provider);
        compare(out, "route", before.models(), after.models(), Model::name, PolicyDiff::model);
        compare(out, "customer", before.customers(), after.customers(), Customer::id,
                (w, a, b, o) -> governance(w, a.governance(), b.governance(), o));
        compare(out, "team", before.teams(), after.teams(), Team::id, (w, a, b, o) -> {
            change(o, w, "customer", a.customer(), b.customer());
            governance(w, a.governance(), b.governance(), o);
        });
        compare(out, "key", before.keys(), after.keys(), VirtualKey::id, (w, a, b, o) -> {
            change(o, w, "team", a.team(), b.team());
            if (!a.sha256().equals(b.sha256())) {
                o.add(w + ": secret rotated (the old secret stops working)");
            }
            if (a.revoked() != b.revoked()) {
                o.add(w + (b.revoked() ? ": revoked (its secret stops working)" : ": no longer revoked (its secret works again)"));
            }
            governance(w, a.governance(), b.governance(), o);
        });
        compare(out, "pricing for", before.pricing(), after.pricing(), Pricing::model, (w, a, b, o) -> {
            price(o, w, "input", a.input(), b.input());
            price(o, w, "output", a.output(), b.output());
            price(o, w, "cached input", a.cachedInput(), b.cachedInput());
            price(o, w, "5-minute cache write", a.cacheWrite5m(), b.cacheWrite5m());
            price(o, w, "1-hour cache write", a.cacheWrite1h(), b.cacheWrite1h());
            price(o, w, "web search", a.webSearch(), b.webSearch(), "per thousand searches");
            if (!a.above().equals(b.above())) {
                o.add(w + ": long-context tier " + a.above().map(PolicyDiff::tier).orElse("none") + " -> "
                        + b.above().map(PolicyDiff::tier).orElse("none"));
            }
            if (!new java.util.TreeMap<>(a.serviceTiers()).toString().equals(new java.util.TreeMap<>(b.serviceTiers()).toString())) {
                o.add(w + ": service tiers " + new java.util.TreeMap<>(a.serviceTiers()) + " -> " + new java.util.TreeMap<>(b.serviceTiers()));
            }
        });
        compare(out, "admin", before.admins(), after.admins(), Admin::id, (w, a, b, o) -> {
            change(o, w, "role", a.role().name().toLowerCase(), b.role().name().toLowerCase());
            if (!a.sha256().equals(b.sha256())) {
                o.add(w + ": token rotated");
            }
        });
        sso(before.sso(), after.sso(), out);
        return out;
    }

    /** Sign-in: a group no longer mapped revokes its members' personal keys at once, so the diff says so. */
    private static void sso(Sso a, Sso b, List<String> out) {
        for (var e : b.groups().entrySet()) {
            String was = a.groups().get(e.getKey());
            if (was == null) {
                out.add("sso group " + e.getKey() + ": signs in to team " + e.getValue());
            } else if (!was.equals(e.getValue())) {
                out.add("sso group " + e.getKey() + ": team " + was + " -> " + e.getValue());
            }
        }
        a.groups().keySet().stream().filter(g -> !b.groups().containsKey(g)).forEach(g ->
                out.add("sso group " + g + ": removed (its members' personal keys stop working)"));
        for (var e : b.roles().entrySet()) {
            Admin.Role was = a.roles().get(e.getKey());
            if (was != e.getValue()) {
                out.add("sso group " + e.getKey() + ": admin role " + (was == null ? "none" : was.name().toLowerCase())
                        + " -> " + e.getValue().name().toLowerCase());
            }
        }
        a.roles().keySet().stream().filter(g -> !b.roles().containsKey(g)).forEach(g ->
                out.add("sso group " + g + ": admin role " + a.roles().get(g).name().toLowerCase() + " -> none"));
        change(out, "sso", "allowed domains", a.allowedDomains(), b.allowedDomains());
        change(out, "sso", "personal key ttl", a.ttl(), b.ttl());
        governance("sso person", a.person(), b.person(), out);
    }

    private static String tier(Pricing.LongContext t) {
        return "above " + t.inputTokens() + " input tokens: $" + t.input().toPlainString() + " in, $" + t.output().toPlainString() + " out";
    }

    private interface Changes<T> {
        void describe(String who, T before, T after, List<String> out);
    }

    private static <T> void compare(List<String> out, String what, List<T> before, List<T> after,
                                    Function<T, String> id, Changes<T> changes) {
        Map<String, T> old = index(before, id);
        Map<String, T> now = index(after, id);
        for (var e : now.entrySet()) {
            T was = old.get(e.getKey());
            if (was == null) {
                out.add(what + " " + e.getKey() + ": added" + summary(e.getValue()));
            } else if (!was.equals(e.getValue())) {
                changes.describe(what + " " + e.getKey(), was, e.getValue(), out);
            }
        }
        for (String gone : old.keySet()) {
            if (!now.containsKey(gone)) {
                out.add(what + " " + gone + ": removed" + (what.equals("key") ? " (its secret stops working)" : ""));
            }
        }
    }

    /** A few words on a new entry so the reviewer sees what it grants. */
    private static String summary(Object added) {
        return switch (added) {
            case VirtualKey k -> " to team " + k.team() + brief(k.governance());
            case Team t -> " under customer " + t.customer() + brief(t.governance());
            case Customer c -> brief(c.governance());
            case Model m -> " -> " + String.join(", ", targets(m.targets()))
                    + (m.fallbacks().isEmpty() ? "" : ", falling back to " + String.join(", ", targets(m.fallbacks())));
            case Provider p -> " (" + p.kind().id() + " at " + p.baseUrl() + ")";
            case Admin a -> " as " + a.role().name().toLowerCase();
            default -> "";
        };
    }

    private static String brief(Governance g) {
        List<String> parts = new ArrayList<>();
        g.budgets().forEach(b -> parts.add(b.period().id() + " budget " + usd(b.usd())));
        g.limits().forEach(l -> parts.add(l.field().replace('_', ' ') + " " + l.amount()));
        if (!g.models().allow().isEmpty()) {
            parts.add("may use " + String.join(", ", g.models().allow()));
        }
        return parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")";
    }

    private static <T> Map<String, T> index(List<T> items, Function<T, String> id) {
        Map<String, T> map = new LinkedHashMap<>();
        items.forEach(i -> map.put(id.apply(i), i));
        return map;
    }

    private static void provider(String who, Provider a, Provider b, List<String> out) {
        change(out, who, "kind", a.kind().id(), b.kind().id());
        change(out, who, "base URL", a.baseUrl().toString(), b.baseUrl().toString());
        change(out, who, "credentials", a.credentials().stream().map(c -> c.ref() + (c.weight() == 1 ? "" : " x" + c.weight())).toList(),
                b.credentials().stream().map(c -> c.ref() + (c.weight() == 1 ? "" : " x" + c.weight())).toList());
        mapChanges(out, who, "setting", a.settings(), b.settings());
        mapChanges(out, who, "header", a.headers(), b.headers());
        change(out, who, "connect timeout", a.timeouts().connect().toMillis() / 1000.0 + " s", b.timeouts().connect().toMillis() / 1000.0 + " s");
        change(out, who, "first-byte timeout", a.timeouts().firstByte().toMillis() / 1000.0 + " s", b.timeouts().firstByte().toMillis() / 1000.0 + " s");
        change(out, who, "idle timeout", a.timeouts().idle().toMillis() / 1000.0 + " s", b.timeouts().idle().toMillis() / 1000.0 + " s");
    }

    private static void model(String who, Model a, Model b, List<String> out) {
        setChanges(out, who, "alias", a.aliases(), b.aliases());
        setChanges(out, who, "target", targets(a.targets()), targets(b.targets()));
        setChanges(out, who, "fallback", targets(a.fallbacks()), targets(b.fallbacks()));
        if (!targets(a.fallbacks()).equals(targets(b.fallbacks()))
                && Set.copyOf(targets(a.fallbacks())).equals(Set.copyOf(targets(b.fallbacks())))) {
            out.add(who + ": fallback order " + targets(a.fallbacks()) + " -> " + targets(b.fallbacks()));
        }
        for (ModelTarget t : b.targets()) {
            a.targets().stream().filter(o -> o.provider().equals(t.provider()) && o.model().equals(t.model())
                    && o.weight() != t.weight()).findFirst().ifPresent(o -> out.add(who + ": weight of "
                    + t.provider() + "/" + t.model() + " " + o.weight() + " -> " + t.weight()));
        }
        change(out, who, "retry attempts", a.retry().attempts(), b.retry().attempts());
        change(out, who, "retry backoff", a.retry().backoff().toMillis() + " ms", b.retry().backoff().toMillis() + " ms");
    }

    private static void budgets(String who, Governance a, Governance b, Optional<String> model, List<String> out) {
        for (Budget.Period p : Budget.Period.values()) {
            Optional<BigDecimal> was = a.budgets().stream().filter(x -> x.period() == p && x.model().equals(model)).map(Budget::usd).findFirst();
            Optional<BigDecimal> now = b.budgets().stream().filter(x -> x.period() == p && x.model().equals(model)).map(Budget::usd).findFirst();
            String name = p.id() + " budget" + model.map(m -> " for model " + m).orElse("");
            if (was.isEmpty() && now.isPresent()) {
                out.add(who + ": " + name + " " + usd(now.get()) + " added");
            } else if (was.isPresent() && now.isEmpty()) {
                out.add(who + ": " + name + " " + usd(was.get()) + " removed (no " + p.id() + " cap at this level)");
            } else if (was.isPresent() && was.get().compareTo(now.get()) != 0) {
                out.add(who + ": " + name + " " + usd(was.get()) + " -> " + usd(now.get()));
            }
            Optional<String> downWas = a.budgets().stream().filter(x -> x.period() == p && x.model().equals(model)).findFirst()
                    .flatMap(Budget::downgrade).map(PolicyDiff::downgrade);
            Optional<String> downNow = b.budgets().stream().filter(x -> x.period() == p && x.model().equals(model)).findFirst()
                    .flatMap(Budget::downgrade).map(PolicyDiff::downgrade);
            if (!downWas.equals(downNow)) {
                out.add(who + ": " + name + " downgrade " + downWas.orElse("none") + " -> " + downNow.orElse("none"));
            }
        }
    }

    private static String downgrade(Budget.Downgrade d) {
        return "to " + d.to() + " at " + d.atPercent() + "%";
    }

    private static List<String> targets(List<ModelTarget> targets) {
        return targets.stream().map(t -> t.provider() + "/" + t.model()).toList();
    }

    private static void governance(String who, Governance a, Governance b, List<String> out) {
        java.util.Set<Optional<String>> models = new java.util.LinkedHashSet<>();
        models.add(Optional.empty());
        a.budgets().forEach(x -> models.add(x.model()));
        b.budgets().forEach(x -> models.add(x.model()));
        for (Optional<String> model : models) {
            budgets(who, a, b, model, out);
        }
        for (RateLimit.Metric m : RateLimit.Metric.values()) {
            for (RateLimit.Window w : RateLimit.Window.values()) {
                Optional<Long> was = limit(a, m, w);
                Optional<Long> now = limit(b, m, w);
                String name = m.name().toLowerCase() + " per " + w.name().toLowerCase();
                if (!was.equals(now)) {
                    out.add(who + ": " + name + " " + was.map(String::valueOf).orElse("unlimited") + " -> "
                            + now.map(String::valueOf).orElse("unlimited"));
                }
            }
        }
        for (String glob : minus(b.models().allow(), a.models().allow())) {
            out.add(who + " may now use " + glob);
        }
        for (String glob : minus(a.models().allow(), b.models().allow())) {
            out.add(who + " may no longer use " + glob);
        }
        if (a.models().allow().isEmpty() != b.models().allow().isEmpty()) {
            out.add(who + (b.models().allow().isEmpty() ? " may now use any model not denied" : " is now limited to its allowed models"));
        }
        for (String glob : minus(b.models().deny(), a.models().deny())) {
            out.add(who + " is now denied " + glob);
        }
        for (String glob : minus(a.models().deny(), b.models().deny())) {
            out.add(who + " is no longer denied " + glob);
        }
        change(out, who, "max concurrent requests", a.maxConcurrent().isPresent() ? a.maxConcurrent().getAsInt() : "unlimited",
                b.maxConcurrent().isPresent() ? b.maxConcurrent().getAsInt() : "unlimited");
        change(out, who, "expiry", a.expires().map(Object::toString).orElse("never"), b.expires().map(Object::toString).orElse("never"));
        mapChanges(out, who, "label", a.labels(), b.labels());
        change(out, who, "models without a price", a.unpriced().map(u -> u == Governance.Unpriced.ALLOW ? "allowed" : "refused").orElse("inherited"),
                b.unpriced().map(u -> u == Governance.Unpriced.ALLOW ? "allowed" : "refused").orElse("inherited"));
        change(out, who, "content capture", a.captureContent().map(c -> c ? "on" : "off").orElse("inherited"),
                b.captureContent().map(c -> c ? "on" : "off").orElse("inherited"));
        change(out, who, "runaway brake", a.brake().map(PolicyDiff::brake).orElse("none"), b.brake().map(PolicyDiff::brake).orElse("none"));
    }

    private static String brake(Brake k) {
        List<String> rules = new ArrayList<>();
        k.repeatedToolCall().ifPresent(n -> rules.add("same tool call " + n + " times in a row"));
        k.requestsPerMinute().ifPresent(n -> rules.add("over " + n + " requests a minute"));
        k.usdPerMinute().ifPresent(u -> rules.add("over " + usd(u) + " a minute"));
        return "(" + String.join(", ", rules) + "; pause " + k.pause().toMinutes() + " min)";
    }

    private static Optional<Long> limit(Governance g, RateLimit.Metric m, RateLimit.Window w) {
        return g.limits().stream().filter(l -> l.metric() == m && l.window() == w).map(RateLimit::amount).findFirst();
    }

    private static List<String> minus(List<String> a, List<String> b) {
        Set<String> rest = new LinkedHashSet<>(a);
        b.forEach(rest::remove);
        return List.copyOf(rest);
    }

    private static void setChanges(List<String> out, String who, String what, List<String> a, List<String> b) {
        minus(b, a).forEach(x -> out.add(who + ": " + what + " " + x + " added"));
        minus(a, b).forEach(x -> out.add(who + ": " + what + " " + x + " removed"));
    }

    private static void mapChanges(List<String> out, String who, String what, Map<String, String> a, Map<String, String> b) {
        Set<String> names = new LinkedHashSet<>(a.keySet());
        names.addAll(b.keySet());
        for (String n : names) {
            if (!Objects.equals(a.get(n), b.get(n))) {
                out.add(who + ": " + what + " " + n + " " + Optional.ofNullable(a.get(n)).orElse("(unset)") + " -> "
                        + Optional.ofNullable(b.get(n)).orElse("(unset)"));
            }
        }
    }

    private static void change(List<String> out, String who, String what, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            out.add(who + ": " + what + " " + a + " -> " + b);
        }
    }

    private static void price(List<String> out, String who, String what, BigDecimal a, BigDecimal b) {
        price(out, who, what, a, b, "per million tokens");
    }

    private static void price(List<String> out, String who, String what, BigDecimal a, BigDecimal b, String per) {
        if (a.compareTo(b) != 0) {
            out.add(who + ": " + what + " " + usd(a) + " -> " + usd(b) + " " + per);
        }
    }

    static String usd(BigDecimal amount) {
        BigDecimal plain = amount.stripTrailingZeros();
        return "$" + (plain.scale() <= 0 ? plain.toPlainString() : amount.setScale(Math.max(2, plain.scale())).toPlainString());
    }
}
