package dev.tollgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks that need every file: unique ids, references between sections, one secret per entry.
 * They run on each entry as written, valid or not, so one run reports a duplicate id or a dangling
 * reference even while the entry itself has problems of its own.
 */
final class CrossChecks {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** One list entry as written, and where. */
    record Entry(JsonNode node, YamlDoc doc, String path) {

        Problem problem(String field, String message) {
            return new Problem(doc.at(field.isEmpty() ? path : path + "." + field), message);
        }

        SourcePos pos() {
            return doc.at(path);
        }

        /** The field's text when it is usable text; its own problems are the section reader's to report. */
        String text(String field) {
            return text(node.get(field));
        }

        static String text(JsonNode v) {
            return v != null && v.isValueNode() && !v.isNull() && !v.isBoolean() && !v.asText().isBlank() ? v.asText() : null;
        }
    }

    final List<Entry> providers = new ArrayList<>();
    final List<Entry> models = new ArrayList<>();
    final List<Entry> customers = new ArrayList<>();
    final List<Entry> teams = new ArrayList<>();
    final List<Entry> keys = new ArrayList<>();
    final List<Entry> pricing = new ArrayList<>();
    final List<Entry> admins = new ArrayList<>();
    /** Files that did not parse: what they declare is unknown, which a missing reference must say. */
    final List<String> unreadable = new ArrayList<>();

    void check(List<Problem> problems) {
        Set<String> providerIds = unique("provider", providers, "id", problems);
        Set<String> customerIds = unique("customer", customers, "id", problems);
        Set<String> teamIds = unique("team", teams, "id", problems);
        unique("key", keys, "id", problems);
        unique("admin", admins, "id", problems);
        unique("pricing for model", pricing, "model", problems);

        Map<String, Entry> names = new HashMap<>();
        for (Entry m : models) {
            String name = m.text("name");
            List<String> all = new ArrayList<>();
            all.add(name);
            JsonNode aliases = m.node().get("aliases");
            if (aliases != null && aliases.isArray()) {
                aliases.forEach(a -> all.add(Entry.text(a)));
            } else {
                all.add(Entry.text(aliases));
            }
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i) == null) {
                    continue;
                }
                Entry first = names.putIfAbsent(all.get(i), m);
                if (first != null) {
                    problems.add(m.problem(i == 0 ? "name" : aliases.isArray() ? "aliases[" + (i - 1) + "]" : "aliases", "model name or alias '"
                            + all.get(i) + "' is already used by model '" + first.text("name") + "' at " + first.pos()
                            + "; each name must lead to one model"));
                }
            }
            targets(m, name, "targets", providerIds, problems);
            targets(m, name, "fallbacks", providerIds, problems);
        }
        for (Entry t : teams) {
            String customer = t.text("customer");
            if (customer != null && !customerIds.contains(customer)) {
                problems.add(t.problem("customer", "team '" + t.text("id") + "' belongs to customer '" + customer
                        + "', which is not declared" + known(customerIds)));
            }
        }
        Map<String, Entry> hashes = new HashMap<>();
        for (Entry k : keys) {
            String team = k.text("team");
            if (team != null && !teamIds.contains(team)) {
                problems.add(k.problem("team", "key '" + k.text("id") + "' belongs to team '" + team
                        + "', which is not declared" + known(teamIds)));
            }
            sameHash(k, "key '" + k.text("id") + "'", hashes, problems);
        }
        for (Entry a : admins) {
            sameHash(a, "admin '" + a.text("id") + "'", hashes, problems);
        }
    }

    private void targets(Entry m, String model, String field, Set<String> providerIds, List<Problem> problems) {
        JsonNode list = m.node().get(field);
        if (list == null || !list.isArray()) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String provider = Entry.text(list.get(i).get("provider"));
            if (provider != null && !providerIds.contains(provider)) {
                problems.add(m.problem(field + "[" + i + "].provider", "model '" + model
                        + "': provider '" + provider + "' is not declared" + known(providerIds)));
            }
        }
    }

    private static void sameHash(Entry at, String what, Map<String, Entry> hashes, List<Problem> problems) {
        String hash = at.text("sha256");
        if (hash == null || !SHA256.matcher(hash).matches()) {
            return;
        }
        Entry first = hashes.putIfAbsent(hash, at);
        if (first != null) {
            problems.add(at.problem("sha256", what + " has the same sha256 as the entry at " + first.pos()
                    + "; two entries cannot share one secret: make a new key with `tollgate keys new`"));
        }
    }

    private String known(Set<String> ids) {
        List<String> sorted = ids.stream().sorted().toList();
        String declared = sorted.isEmpty() ? " (none are declared yet)" : " (declared: " + String.join(", ", sorted.size() > 12
                ? sorted.subList(0, 12) : sorted) + (sorted.size() > 12 ? ", ..." : "") + ")";
        return unreadable.isEmpty() ? declared
                : declared + "; " + String.join(", ", unreadable) + " did not parse and may declare it";
    }

    private static Set<String> unique(String what, List<Entry> list, String field, List<Problem> problems) {
        Map<String, Entry> seen = new HashMap<>();
        for (Entry item : list) {
            String id = item.text(field);
            if (id == null) {
                continue;
            }
            Entry first = seen.putIfAbsent(id, item);
            if (first != null) {
                problems.add(item.problem(field, what + " '" + id
                        + "' is declared twice (first at " + first.pos() + "); ids must be unique: rename or remove one"));
            }
        }
        return seen.keySet();
    }
}
