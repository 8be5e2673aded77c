package dev.tollgate.server.replay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.server.budget.Money;
import dev.tollgate.server.gate.Simulator;
import java.time.Instant;
import java.util.Map;

/** A replay's result as Markdown (a pull-request comment) or JSON (machines). */
final class ReplayReport {

    /** Rows per table in Markdown; the JSON has them all. */
    static final int ROWS = 25;

    private ReplayReport() {
    }

    static String markdown(Replay.Result r, ExportReader.Export in, String policyName, String baseName) {
        StringBuilder md = new StringBuilder();
        md.append("### Tollgate replay of ").append(policyName).append("\n\n");
        if (!in.lacks().isEmpty()) {
            md.append("> **Warning:** this export lacks nodes: ").append(String.join(", ", in.lacks().stream().map(ReplayReport::code).toList()))
                    .append(". It holds one node's requests only: the figures below leave out the requests those nodes answered.\n\n");
        }
        if (in.nodesUnknown() != null) {
            md.append("> **Warning:** this export cannot say which nodes it lacks (").append(cell(in.nodesUnknown()))
                    .append("): it may hold one node's requests only.\n\n");
        }
        md.append(r.replayed()).append(" recorded requests");
        if (r.firstMillis() != null) {
            md.append(" from ").append(Instant.ofEpochMilli(r.firstMillis())).append(" to ").append(Instant.ofEpochMilli(r.lastMillis()));
        }
        md.append(", replayed in time order against ").append(policyName).append(", compared with ")
                .append(r.withBase() ? baseName : "what the gateway did at the time").append(".");
        if (r.notServed() > 0) {
            md.append(" ").append(r.notServed()).append(" requests refused or failed at the time are not replayed.");
        }
        md.append("\n\n");
        Replay.Tally t = r.total();
        md.append("| | requests | now refused | now served | routed differently | spend before | spend after |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        md.append("| **all** | ").append(t.requests).append(" | ").append(t.nowRefused).append(" | ").append(t.nowAdmitted).append(" | ")
                .append(t.rerouted).append(" | ").append(money(t.beforeNanos, t.beforeUnpriced)).append(" | ")
                .append(money(t.afterNanos, t.afterUnpriced)).append(" |\n\n");
        if (!t.changed()) {
            md.append("No change: every request would be served, routed and priced as before.\n");
        }
        table(md, "customer", r.customers());
        table(md, "team", r.teams());
        table(md, "key", r.keys());
        if (!t.reroutes.isEmpty()) {
            md.append("\n#### Routed differently\n\n");
            Replay.topReroutes(t, ROWS).forEach((what, n) -> md.append("- ").append(n).append(" × ").append(code(what)).append('\n'));
            md.append("\nSpend on moved requests under the new policy: ").append(Money.format(t.reroutedNanos)).append(".\n");
        }
        if (!in.problems().isEmpty() || !in.complete()) {
            md.append("\n#### Input\n\n");
            if (!in.complete()) {
                md.append("- The export has no end line: it was cut short, so this replay may miss its latest requests.\n");
            }
            in.problems().forEach(p -> md.append("- ").append(p).append('\n'));
            if (in.skipped() > in.problems().size()) {
                md.append("- ... ").append(in.skipped() - in.problems().size()).append(" more lines skipped\n");
            }
        }
        return md.toString();
    }

    private static void table(StringBuilder md, String level, Map<String, Replay.Tally> rows) {
        var changed = rows.entrySet().stream().filter(e -> e.getValue().changed()).toList();
        if (changed.isEmpty()) {
            return;
        }
        md.append("\n#### Per ").append(level).append(" (").append(changed.size()).append(" changed)\n\n");
        md.append("| ").append(level).append(" | requests | now refused, why | routed differently | spend before | spend after |\n");
        md.append("|---|---:|---|---:|---:|---:|\n");
        changed.stream().limit(ROWS).forEach(e -> {
            Replay.Tally t = e.getValue();
            md.append("| ").append(code(e.getKey())).append(" | ").append(t.requests).append(" | ").append(why(t)).append(" | ")
                    .append(t.rerouted).append(" | ").append(money(t.beforeNanos, t.beforeUnpriced)).append(" | ")
                    .append(money(t.afterNanos, t.afterUnpriced)).append(" |\n");
        });
        if (changed.size() > ROWS) {
            md.append("\n... and ").append(changed.size() - ROWS).append(" more ").append(level).append("s (the JSON report lists all).\n");
        }
    }

    private static String why(Replay.Tally t) {
        if (t.nowRefused == 0) {
            return t.nowAdmitted > 0 ? "0 (" + t.nowAdmitted + " now served)" : "0";
        }
        StringBuilder s = new StringBuilder().append(t.nowRefused).append(": ");
        boolean first = true;
        for (var e : t.reasons.entrySet()) {
            s.append(first ? "" : "; ").append(e.getValue()).append(' ').append(e.getKey().label());
            if (e.getKey() == Simulator.Reason.BUDGET) {
                s.append(" on ").append(t.budgetOut);
            }
            s.append(" (").append(cell(t.examples.get(e.getKey()))).append(')');
            first = false;
        }
        return s.toString();
    }

    private static String money(long nanos, long unpriced) {
        return Money.format(nanos) + (unpriced > 0 ? " + " + unpriced + " unpriced" : "");
    }

    private static String code(String s) {
        return "`" + s.replace("`", "'").replace("|", "\\|") + "`";
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    static String json(Replay.Result r, ExportReader.Export in, String policyName, String baseName) {
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        if (!in.lacks().isEmpty()) {
            out.put("warning", "this export lacks nodes: " + String.join(", ", in.lacks()));
        } else if (in.nodesUnknown() != null) {
            out.put("warning", "this export cannot say which nodes it lacks: " + in.nodesUnknown());
        }
        out.put("policy", policyName);
        out.put("base", r.withBase() ? baseName : null);
        out.put("replayed", r.replayed());
        out.put("not_served_at_the_time", r.notServed());
        out.put("from", r.firstMillis() == null ? null : Instant.ofEpochMilli(r.firstMillis()).toString());
        out.put("to", r.lastMillis() == null ? null : Instant.ofEpochMilli(r.lastMillis()).toString());
        out.set("total", tally(r.total()));
        ObjectNode per = out.putObject("per");
        per.set("customer", tallies(r.customers()));
        per.set("team", tallies(r.teams()));
        per.set("key", tallies(r.keys()));
        ObjectNode input = out.putObject("input");
        input.put("complete", in.complete());
        in.lacks().forEach(input.putArray("lacks_nodes")::add);
        input.put("skipped_lines", in.skipped());
        in.problems().forEach(input.putArray("problems")::add);
        return new String(JsonBody.write(out), java.nio.charset.StandardCharsets.UTF_8) + "\n";
    }

    private static ObjectNode tallies(Map<String, Replay.Tally> rows) {
        ObjectNode o = JsonBody.MAPPER.createObjectNode();
        rows.forEach((id, t) -> o.set(id, tally(t)));
        return o;
    }

    private static ObjectNode tally(Replay.Tally t) {
        ObjectNode o = JsonBody.MAPPER.createObjectNode();
        o.put("requests", t.requests);
        o.put("now_refused", t.nowRefused);
        o.put("now_served", t.nowAdmitted);
        ObjectNode reasons = o.putObject("refused_because");
        t.reasons.forEach((reason, n) -> reasons.putObject(reason.name().toLowerCase()).put("requests", n)
                .put("first", t.examples.get(reason)));
        o.put("budget_ran_out_on", t.budgetOut == null ? null : t.budgetOut.toString());
        o.put("routed_differently", t.rerouted);
        ObjectNode moves = o.putObject("routes");
        t.reroutes.forEach(moves::put);
        o.put("spend_before_usd", Money.usd(t.beforeNanos));
        o.put("spend_after_usd", Money.usd(t.afterNanos));
        o.put("unpriced_before", t.beforeUnpriced);
        o.put("unpriced_after", t.afterUnpriced);
        return o;
    }
}
