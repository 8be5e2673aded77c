package dev.tollgate.server.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.json.JsonBody;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A proposed policy replayed over recorded requests: each refusal reason, routes, prices, bad input. */
class ReplayTest {

    /** Before: two providers, cheap priced at $1 per million tokens both ways, no limits. */
    private static final String BASE = """
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
              - {id: other, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {name: cheap, targets: [{provider: up, model: cheap-up}]}
              - {name: big, targets: [{provider: up, model: big-up}]}
            pricing:
              - {model: cheap, input: 1, output: 1}
              - {model: big, input: 10, output: 10}
            customers:
              - {id: acme}
            teams:
              - {id: infra, customer: acme}
              - {id: payments, customer: acme}
            keys:
              - {id: alice, team: infra, sha256: %1$s}
              - {id: bob, team: infra, sha256: %2$s}
              - {id: carol, team: payments, sha256: %3$s}
              - {id: dave, team: payments, sha256: %4$s}
            """;
    /**
     * After: bob removed; infra may not use big; carol 2 requests a minute; dave $0.0025 a day;
     * cheap moves to the other provider at twice the price.
     */
    private static final String NEXT = """
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
              - {id: other, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {name: cheap, targets: [{provider: other, model: cheap-other}]}
              - {name: big, targets: [{provider: up, model: big-up}]}
            pricing:
              - {model: cheap, input: 2, output: 2}
              - {model: big, input: 10, output: 10}
            customers:
              - {id: acme}
            teams:
              - {id: infra, customer: acme, deny_models: ["big"]}
              - {id: payments, customer: acme}
            keys:
              - {id: alice, team: infra, sha256: %1$s}
              - {id: carol, team: payments, sha256: %3$s, limits: {requests_per_minute: 2}}
              - {id: dave, team: payments, sha256: %4$s, budgets: [{amount_usd: 0.0025, period: daily}]}
            """;

    @TempDir
    Path dir;

    private static PolicySnapshot policy(String yaml) throws Exception {
        String text = yaml.formatted(Secrets.sha256("a"), Secrets.sha256("b"), Secrets.sha256("c"), Secrets.sha256("d"));
        return PolicyLoader.load(Map.of("p.yaml", text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String line(String time, String key, String team, String model, long in, long out, String cost) {
        return ("{\"v\":1,\"id\":\"r\",\"time\":\"%s\",\"key\":\"%s\",\"team\":\"%s\",\"customer\":\"acme\",\"client\":\"codex\","
                + "\"requested_model\":\"%s\",\"provider\":\"up\",\"model\":\"%s-up\",\"status\":200,\"input_tokens\":%d,"
                + "\"output_tokens\":%d,\"cached_tokens\":0,\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":\"%s\"}")
                .formatted(time, key, team, model, model, in, out, cost);
    }

    private record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return JsonBody.MAPPER.readTree(out);
        }
    }

    private Run replay(List<String> lines, boolean withBase, String format, Instant since) throws Exception {
        Path file = dir.resolve("export.ndjson");
        Files.write(file, lines);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ReplayCommand.run(policy(NEXT), "NEW", withBase ? policy(BASE) : null, "OLD", file.toString(), since, format,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static List<String> traffic() {
        List<String> lines = new ArrayList<>();
        lines.add(line("2026-11-30T09:00:00Z", "alice", "infra", "cheap", 1000, 1000, "0.002"));
        lines.add(line("2026-11-30T09:00:01Z", "alice", "infra", "big", 1000, 0, "0.01"));
        lines.add(line("2026-11-30T09:00:02Z", "bob", "infra", "cheap", 1000, 0, "0.001"));
        // carol: three in one minute (the third over 2 a minute), then one a minute later, which the refilled bucket allows
        lines.add(line("2026-11-30T10:00:00Z", "carol", "payments", "big", 100, 0, "0.001"));
        lines.add(line("2026-11-30T10:00:10Z", "carol", "payments", "big", 100, 0, "0.001"));
        lines.add(line("2026-11-30T10:00:20Z", "carol", "payments", "big", 100, 0, "0.001"));
        lines.add(line("2026-11-30T10:01:30Z", "carol", "payments", "big", 100, 0, "0.001"));
        // dave: $0.001 a request against $0.0025 a day: two pass on the 30th, the third runs out; the 1st starts afresh
        lines.add(line("2026-11-30T11:00:00Z", "dave", "payments", "big", 100, 0, "0.001"));
        lines.add(line("2026-11-30T12:00:00Z", "dave", "payments", "big", 100, 0, "0.001"));
        lines.add(line("2026-11-30T13:00:00Z", "dave", "payments", "big", 100, 0, "0.001"));
        lines.add(line("2026-12-01T09:00:00Z", "dave", "payments", "big", 100, 0, "0.001"));
        lines.add("{\"v\":1,\"end\":true,\"records\":11}");
        return lines;
    }

    @Test
    void eachRefusalIsCountedWithItsReasonRoutesMoveAndSpendIsPricedAnew() throws Exception {
        Run run = replay(traffic(), true, "json", null);
        assertEquals(0, run.exit(), run.err());
        JsonNode report = run.json();
        assertEquals(11, report.path("replayed").asLong());
        JsonNode keys = report.path("per").path("key");

        assertEquals(1, keys.path("bob").path("now_refused").asLong());
        assertEquals(1, keys.path("bob").path("refused_because").path("key_removed").path("requests").asLong());

        JsonNode alice = keys.path("alice");
        assertEquals(1, alice.path("refused_because").path("model_not_allowed").path("requests").asLong());
        assertTrue(alice.path("refused_because").path("model_not_allowed").path("first").asText().contains("deny_models 'big' of team 'infra'"),
                alice.toString());
        assertEquals(1, alice.path("routed_differently").asLong());
        assertEquals(1, alice.path("routes").path("cheap: up/cheap-up -> other/cheap-other").asLong());
        // before: cheap 2000 tokens at $1/M + big 1000 at $10/M; after: cheap at $2/M, big refused
        assertEquals("0.012", alice.path("spend_before_usd").decimalValue().toPlainString());
        assertEquals("0.004", alice.path("spend_after_usd").decimalValue().toPlainString());

        JsonNode carol = keys.path("carol");
        assertEquals(1, carol.path("now_refused").asLong(), "only the third within the minute; the fourth comes after the refill");
        assertTrue(carol.path("refused_because").path("rate_limit").path("first").asText()
                .contains("Rate limit of key 'carol' reached: 2 requests per minute"), carol.toString());

        JsonNode dave = keys.path("dave");
        assertEquals(1, dave.path("now_refused").asLong(), "the third of the 30th; the 1st is a new day");
        assertEquals("2026-11-30", dave.path("budget_ran_out_on").asText());
        assertEquals(1, report.path("per").path("team").path("payments").path("refused_because").path("budget").path("requests").asLong());
        assertEquals(4, report.path("total").path("now_refused").asLong(), "bob, alice's big, carol's third, dave's third");
        assertTrue(report.path("input").path("complete").asBoolean());
    }

    @Test
    void markdownNamesWhoIsRefusedWhyAndOnWhichDay() throws Exception {
        Run run = replay(traffic(), true, "markdown", null);
        assertEquals(0, run.exit(), run.err());
        String md = run.out();
        assertTrue(md.contains("| `dave` | 4 | 1: 1 budget run out on 2026-11-30 ("), md);
        assertTrue(md.contains("| `bob` | 1 | 1: 1 key removed ("), md);
        assertTrue(md.contains("1 × `cheap: up/cheap-up -> other/cheap-other`"), md);
        assertFalse(md.contains("#### Input"), "a clean export has nothing to say about its input");
    }

    @Test
    void withoutBaseTheRecordingIsTheBase() throws Exception {
        JsonNode report = replay(traffic(), false, "json", null).json();
        JsonNode alice = report.path("per").path("key").path("alice");
        assertEquals("0.012", alice.path("spend_before_usd").decimalValue().toPlainString(), "the recorded cost_usd");
        assertEquals(1, alice.path("routes").path("cheap: up/cheap-up -> other/cheap-other").asLong());
        assertEquals(0, report.path("per").path("key").path("carol").path("routed_differently").asLong(), "big still goes to up/big-up");
    }

    @Test
    void badLinesAndNewerVersionsAreReportedAndSkippedNeverGuessed() throws Exception {
        List<String> lines = new ArrayList<>(traffic());
        lines.removeLast(); // no end line: cut short
        lines.add(2, "{\"v\":1,\"time\":\"2026-11-30T09:00:01Z\",\"key\":\"alice\""); // cut mid-line
        lines.add(3, line("2026-11-30T09:00:01Z", "alice", "infra", "cheap", 1, 1, "0.1").replace("\"v\":1", "\"v\":2"));
        lines.add(4, line("yesterday", "alice", "infra", "cheap", 1, 1, "0.1"));
        lines.add(5, line("2026-11-30T09:00:01Z", "alice", "infra", "cheap", 1, 1, "0.1").replace("\"input_tokens\":1", "\"input_tokens\":-1"));
        lines.add(6, "[1,2]");
        Run run = replay(lines, true, "json", null);
        assertEquals(0, run.exit(), run.err());
        JsonNode input = run.json().path("input");
        assertFalse(input.path("complete").asBoolean());
        assertEquals(5, input.path("skipped_lines").asLong());
        List<String> problems = new ArrayList<>();
        input.path("problems").forEach(p -> problems.add(p.asText()));
        assertTrue(problems.get(0).startsWith("line 3: not JSON"), problems.toString());
        assertTrue(problems.get(1).startsWith("line 4: export format version 2 is newer than this tollgate reads (1)"), problems.toString());
        assertTrue(problems.get(2).startsWith("line 5: time 'yesterday' is not an ISO-8601 instant"), problems.toString());
        assertTrue(problems.get(3).startsWith("line 6: \"input_tokens\" is not a whole number"), problems.toString());
        assertTrue(problems.get(4).startsWith("line 7: not a JSON object"), problems.toString());
        assertEquals(11, run.json().path("replayed").asLong(), "the good lines all replayed");
        String md = replay(lines, true, "markdown", null).out();
        assertTrue(md.contains("The export has no end line: it was cut short"), md);
        assertTrue(md.contains("- line 4: export format version 2 is newer"), md);
    }

    @Test
    void recordsOutOfOrderAreReplayedInTimeOrderAndSinceFilters() throws Exception {
        List<String> lines = new ArrayList<>(traffic());
        String end = lines.removeLast();
        java.util.Collections.reverse(lines);
        lines.add(end);
        JsonNode report = replay(lines, true, "json", null).json();
        assertEquals("2026-11-30", report.path("per").path("key").path("dave").path("budget_ran_out_on").asText());
        assertEquals(1, report.path("per").path("key").path("carol").path("now_refused").asLong());
        JsonNode later = replay(traffic(), true, "json", Instant.parse("2026-12-01T00:00:00Z")).json();
        assertEquals(1, later.path("replayed").asLong());
    }

    @Test
    void anUnreadableSourceIsAnErrorNotAnEmptyReport() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ReplayCommand.run(policy(NEXT), "NEW", null, null, dir.resolve("missing").toString(), null, "markdown",
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no file"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anExportFromOneOfSeveralNodesSaysAtTheTopWhichNodesItLacks() throws Exception {
        List<String> lines = new ArrayList<>(traffic());
        lines.removeLast();
        lines.addFirst("{\"v\":1,\"start\":true,\"node\":\"n-a\",\"nodes\":[\"n-a\",\"n-b\",\"n-c\"],\"lacks\":[\"n-b\",\"n-c\"]}");
        lines.add("{\"v\":1,\"end\":true,\"records\":11,\"node\":\"n-a\",\"nodes\":[\"n-a\",\"n-b\"],\"lacks\":[\"n-b\"]}");
        Run json = replay(lines, true, "json", null);
        assertEquals(0, json.exit(), json.err());
        assertEquals("this export lacks nodes: n-b, n-c", json.json().path("warning").asText());
        assertEquals(11, json.json().path("replayed").asLong(), "the first line is no record");
        assertEquals(0, json.json().path("input").path("skipped_lines").asLong());
        assertTrue(json.json().path("input").path("complete").asBoolean());
        String md = replay(lines, true, "markdown", null).out();
        String top = md.lines().limit(3).reduce("", (a, b) -> a + b + "\n");
        assertTrue(top.contains("this export lacks nodes: `n-b`, `n-c`"), md);

        // one node, or every live node already covered: no warning
        List<String> alone = new ArrayList<>(traffic());
        alone.set(alone.size() - 1, "{\"v\":1,\"end\":true,\"records\":11,\"node\":\"n-a\",\"nodes\":[\"n-a\"],\"lacks\":[]}");
        assertTrue(replay(alone, true, "json", null).json().path("warning").isMissingNode());
        assertFalse(replay(alone, true, "markdown", null).out().contains("lacks nodes"));

        // Redis did not answer: the export cannot say, and the replay says so rather than assuming it is whole
        List<String> unknown = new ArrayList<>(traffic());
        unknown.set(unknown.size() - 1, "{\"v\":1,\"end\":true,\"records\":11,\"node\":\"n-a\",\"nodes\":null,\"lacks\":null,"
                + "\"nodes_unknown\":\"Redis at 127.0.0.1:6379: not connected\"}");
        assertTrue(replay(unknown, true, "json", null).json().path("warning").asText().startsWith("this export cannot say which nodes it lacks"));
    }
}
