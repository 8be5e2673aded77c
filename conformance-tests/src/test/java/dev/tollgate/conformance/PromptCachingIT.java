package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Prompt caching on translated paths, with real agents: the simulator caches only what a provider
 * would (Anthropic: prefixes ending at a breakpoint; OpenAI: repeated prefixes of 1,024 tokens or
 * more), so what it reads from cache shows whether the gateway placed breakpoints well, and the cost
 * the gateway records is checked against the simulator's own usage priced by the policy.
 */
class PromptCachingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("prompt-caching", """
                providers:
                  - {id: sim-anthropic, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1", settings: {api: responses}}
                models:
                  - {name: claude-sonnet-4-5, targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]}
                  - {name: gpt-5.5, targets: [{provider: sim, model: gpt-5.5}]}
                pricing:
                  - {model: claude-sonnet-4-5, input: 3, output: 15, cached_input: 0.3, cache_write_5m: 3.75, cache_write_1h: 6}
                  - {model: gpt-5.5, input: 1.25, output: 10, cached_input: 0.125}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: codex, team: infra, sha256: %s, budgets: [{amount_usd: 100, period: total}]}
                  - {id: claude, team: infra, sha256: %s, budgets: [{amount_usd: 100, period: total}]}
                """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-codex"), KeyHash.sha256("tg-claude")))
            .clearingSim(StackExtension.REQUESTS);

    /** One simulator answer's usage as it reported it. */
    private record SimUsage(long input, long read, long write5m, long write1h, long output) {
        static SimUsage of(JsonNode call) {
            JsonNode u = call.path("usage");
            assertTrue(u.isObject(), "the simulator noted its usage: " + call);
            return new SimUsage(u.path("input_tokens").asLong(), u.path("cache_read").asLong(), u.path("cache_write_5m").asLong(),
                    u.path("cache_write_1h").asLong(), u.path("output_tokens").asLong());
        }

        /** USD at the policy's prices per million tokens. */
        BigDecimal cost(double in, double out, double cached, double w5, double w1) {
            return BigDecimal.valueOf(in).multiply(BigDecimal.valueOf(input - read - write5m - write1h))
                    .add(BigDecimal.valueOf(out).multiply(BigDecimal.valueOf(output)))
                    .add(BigDecimal.valueOf(cached).multiply(BigDecimal.valueOf(read)))
                    .add(BigDecimal.valueOf(w5).multiply(BigDecimal.valueOf(write5m)))
                    .add(BigDecimal.valueOf(w1).multiply(BigDecimal.valueOf(write1h)))
                    .divide(MILLION, MathContext.DECIMAL128);
        }
    }

    private static List<String> codexCommand(String model, boolean resume, String prompt) {
        List<String> command = new ArrayList<>(List.of(Cli.codex().toString(), "exec"));
        if (resume) {
            command.addAll(List.of("resume", "--last"));
        }
        command.addAll(List.of("--skip-git-repo-check", "-m", model));
        command.addAll(Cli.codexViaGateway(stack.get(), ""));
        command.addAll(List.of("-c", "analytics.enabled=false", "--disable", "plugins", "--disable", "apps", prompt));
        return command;
    }

    /**
     * Ten turns of one Codex session on a Claude model (Codex resends the whole history every turn;
     * the first turn is a tool round trip): from turn 3 on, at least 80% of the input is read from
     * Anthropic's cache, and the gateway's recorded cost is the simulator's usage at the policy's prices.
     */
    @Test
    void aTenTurnCodexSessionOnClaudeReadsItsHistoryFromTheCache() throws Exception {
        Path home = Cli.home(stack.get(), "codex");
        Map<String, String> env = Map.of("GW_API_KEY", "tg-codex", "CODEX_HOME", Files.createDirectories(home.resolve(".codex")).toString());
        List<Integer> requestsAfterTurn = new ArrayList<>();
        for (int turn = 1; turn <= 10; turn++) {
            Cli.Result r = Cli.run(codexCommand("claude-sonnet-4-5", turn > 1, turn == 1 ? Cli.TOOL_PROMPT
                    : "Turn " + turn + ": say in one line what you did so far."), env, home);
            assertEquals(0, r.exit(), "turn " + turn + ": " + r.all());
            requestsAfterTurn.add(SimRequests.to(stack.get(), "/v1/messages").size());
        }
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/messages");
        assertEquals(11, calls.size(), "the tool round trip, then one request a turn: " + requestsAfterTurn);

        long inputAfterTurn2 = 0;
        long readAfterTurn2 = 0;
        BigDecimal expected = BigDecimal.ZERO;
        for (int i = 0; i < calls.size(); i++) {
            JsonNode body = calls.get(i).path("body");
            int breakpoints = count(body, "cache_control");
            assertTrue(breakpoints >= 1 && breakpoints <= 4, "request " + i + " has " + breakpoints + " breakpoints");
            JsonNode system = body.path("system");
            assertTrue(system.get(system.size() - 1).has("cache_control"), "the system prompt ends a cached prefix: request " + i);
            SimUsage u = SimUsage.of(calls.get(i));
            if (i >= requestsAfterTurn.get(1)) {
                inputAfterTurn2 += u.input();
                readAfterTurn2 += u.read();
            }
            expected = expected.add(u.cost(3, 15, 0.3, 3.75, 6));
        }
        double share = (double) readAfterTurn2 / inputAfterTurn2;
        System.out.printf("Codex on Claude, turns 3-10: %d of %d input tokens read from cache (%.1f%%)%n", readAfterTurn2, inputAfterTurn2,
                share * 100);
        assertTrue(share >= 0.8, "cache-read share after turn 2: " + share);

        BigDecimal ledger = spent("tg-codex"); // before the log's marker request adds to it
        List<JsonNode> logged = loggedRequests("codex");
        assertEquals(11, logged.size(), logged.toString());
        BigDecimal recorded = BigDecimal.ZERO;
        long loggedCached = 0;
        for (JsonNode row : logged) {
            recorded = recorded.add(new BigDecimal(row.path("cost_usd").asText()));
            loggedCached += row.path("tokens").path("cached").asLong();
        }
        assertCostsMatch(expected, recorded, logged.size());
        assertTrue(loggedCached >= readAfterTurn2, "the request log counts the cache reads: " + loggedCached);
        assertCostsMatch(expected, ledger, logged.size());
    }

    /**
     * Claude Code on a GPT model: OpenAI caches the repeated prefix automatically; Claude Code is told
     * in Anthropic's own field, cache_read_input_tokens, and the cost recorded prices those reads.
     */
    @Test
    void claudeCodeOnGptSeesOpenAisCacheReadsAsAnthropicsCacheFields() throws Exception {
        Cli.Result r = Cli.run(List.of(Cli.claude().toString(), "-p", "--output-format", "json", "--model", "gpt-5.5", "--allowedTools=Bash",
                        Cli.TOOL_PROMPT),
                Map.of("ANTHROPIC_BASE_URL", stack.get().gateway("/anthropic"), "ANTHROPIC_API_KEY", "tg-claude",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1", "CLAUDE_CODE_MAX_RETRIES", "0"),
                Cli.home(stack.get(), "claude"));
        assertEquals(0, r.exit(), r.all());
        List<JsonNode> calls = SimRequests.to(stack.get(), "/v1/responses");
        assertEquals(2, calls.size(), "the tool round trip: " + SimRequests.all(stack.get()));
        long simRead = 0;
        BigDecimal expected = BigDecimal.ZERO;
        for (JsonNode call : calls) {
            SimUsage u = SimUsage.of(call);
            simRead += u.read();
            expected = expected.add(u.cost(1.25, 10, 0.125, 0, 0));
        }
        assertTrue(simRead >= 1024, "the second request repeats Claude Code's long prefix: OpenAI read it from cache (" + simRead + ")");

        JsonNode result = JSON.readTree(r.stdout().strip().lines().reduce((a, b) -> b).orElseThrow());
        long shown = result.path("usage").path("cache_read_input_tokens").asLong(-1);
        System.out.println("Claude Code on GPT: OpenAI cached_tokens " + simRead + ", Claude Code's cache_read_input_tokens " + shown);
        assertEquals(simRead, shown, "Claude Code reads OpenAI's cached_tokens as cache_read_input_tokens: " + result.path("usage"));

        List<JsonNode> logged = loggedRequests("claude").stream().filter(row -> row.path("status").asInt() == 200).toList();
        assertEquals(2, logged.size(), logged.toString());
        BigDecimal recorded = BigDecimal.ZERO;
        for (JsonNode row : logged) {
            recorded = recorded.add(new BigDecimal(row.path("cost_usd").asText()));
        }
        assertCostsMatch(expected, recorded, logged.size());
    }

    /** Equal but for the gateway's rounding of each request's cost to whole nano-dollars. */
    private static void assertCostsMatch(BigDecimal expected, BigDecimal recorded, int requests) {
        BigDecimal slack = new BigDecimal("0.000000001").multiply(BigDecimal.valueOf(requests));
        assertTrue(expected.subtract(recorded).abs().compareTo(slack) <= 0, "recorded $" + recorded + ", the simulator's usage costs $" + expected);
    }

    private static int count(JsonNode node, String field) {
        int n = node.isObject() && node.has(field) ? 1 : 0;
        for (JsonNode child : node) {
            n += count(child, field);
        }
        return n;
    }

    private static BigDecimal spent(String key) throws Exception {
        JsonNode usage = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/usage")))
                .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
        return usage.path("spend").path("total").path("spent_usd").decimalValue();
    }

    /**
     * The request log's records of {@code key}, once a marker request sent after everything else is in
     * it (one writer stores records in the order they finished), the marker left out.
     */
    private static List<JsonNode> loggedRequests(String key) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> marker = http.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/chat/completions")))
                .header("authorization", "Bearer tg-" + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5.5\",\"messages\":[{\"role\":\"user\",\"content\":\"marker\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        String markerId = marker.headers().firstValue("x-tollgate-request-id").orElseThrow();
        HttpRequest search = HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/requests?key=" + key + "&limit=100")))
                .header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<JsonNode> rows = new ArrayList<>();
            JSON.readTree(http.send(search, HttpResponse.BodyHandlers.ofString()).body()).path("requests").forEach(rows::add);
            if (rows.stream().anyMatch(r -> r.path("id").asText().equals(markerId))) {
                return rows.stream().filter(r -> !r.path("id").asText().equals(markerId)).toList();
            }
            assertTrue(System.nanoTime() < deadline, "the marker request " + markerId + " never reached the request log: " + rows);
            Thread.sleep(20);
        }
    }
}
