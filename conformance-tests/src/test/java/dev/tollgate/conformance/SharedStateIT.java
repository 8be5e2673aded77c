package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two gateway processes sharing budgets and limits through one real redis-server, in front of the
 * provider simulator: a budget and a rate limit hold across both nodes under concurrency; a Redis
 * killed under load costs clean 503s, not spend, and the nodes recover by themselves; a node killed
 * mid-request charges its hold in Redis when it restarts; a usage report on either node covers both.
 */
class SharedStateIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** $1,000 per million tokens each way: a token costs $0.001. */
    private static final BigDecimal TOKEN_USD = new BigDecimal("0.001");
    private static final BigDecimal BUDGET = new BigDecimal("0.6");
    private static final int PACED_RPM = 6;
    private static final String CHAT = "{\"model\":\"sim/echo\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"count the cost\"}]}";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static int nodeB;

    @RegisterExtension
    static final StackExtension stack = StackExtension.shared("shared", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: sim/echo, targets: [{provider: sim, model: echo}]}
                  - {name: sim/slow, targets: [{provider: sim, model: slow}]}
                pricing:
                  - {model: sim/echo, input: 1000, output: 1000}
                  - {model: sim/slow, input: 1000, output: 1000}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: spender, team: infra, sha256: %s, budgets: [{amount_usd: %s, period: total}]}
                  - {id: paced, team: infra, sha256: %s, limits: {requests_per_minute: %d}}
                  - {id: loader, team: infra, sha256: %s}
                  - {id: busy, team: infra, sha256: %s}
                  - {id: crashy, team: infra, sha256: %s}
                  - {id: reported, team: infra, sha256: %s}
                  - {id: exported, team: infra, sha256: %s}
                  - {id: tasked, team: infra, sha256: %s, budgets: [{amount_usd: 0.1, period: session}]}
                """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-spender"), BUDGET.toPlainString(),
                KeyHash.sha256("tg-paced"), PACED_RPM, KeyHash.sha256("tg-loader"), KeyHash.sha256("tg-busy"),
                KeyHash.sha256("tg-crashy"), KeyHash.sha256("tg-reported"), KeyHash.sha256("tg-exported"),
                KeyHash.sha256("tg-tasked")));

    @BeforeAll
    static void start() throws Exception {
        nodeB = stack.get().startNode("gateway-b");
    }

    private static String node(int i) {
        return "http://127.0.0.1:" + (i % 2 == 0 ? stack.get().gatewayPort : nodeB);
    }

    private static HttpResponse<String> chat(String base, String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static BigDecimal cost(HttpResponse<String> r) throws Exception {
        JsonNode u = JSON.readTree(r.body()).path("usage");
        return TOKEN_USD.multiply(BigDecimal.valueOf(u.path("prompt_tokens").asLong() + u.path("completion_tokens").asLong()));
    }

    /** What Redis holds for a key's total budget account: {spent, held} in USD. */
    private static BigDecimal[] redisTotal(String key) throws Exception {
        String out = stack.get().redis("HMGET", "tollgate:b:key:" + key + "::total:all", "spent", "held");
        String[] v = out.split("\n");
        return new BigDecimal[] {usd(v.length > 0 ? v[0] : ""), usd(v.length > 1 ? v[1] : "")};
    }

    private static BigDecimal usd(String nanos) {
        return nanos.isBlank() ? BigDecimal.ZERO : BigDecimal.valueOf(Long.parseLong(nanos.strip()), 9);
    }

    /** A key's spend in the usage report of one node (which covers every node: it reads Redis). */
    private static BigDecimal reported(String base, String key) throws Exception {
        return usageRow(base, "key", "total", key).path("spent_usd").decimalValue();
    }

    /** A row of one node's usage report: requests, spent_usd, in_flight_usd, input_tokens, output_tokens. */
    private static JsonNode usageRow(String base, String by, String period, String name) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/admin/usage?by=" + by + "&period=" + period))
                .header("authorization", "Bearer admin-token").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        for (JsonNode row : JSON.readTree(r.body()).path("rows")) {
            if (row.path(by).asText().equals(name)) {
                return row;
            }
        }
        return JSON.createObjectNode().put("requests", 0).put("spent_usd", BigDecimal.ZERO).put("in_flight_usd", BigDecimal.ZERO);
    }

    /** Whether a node's ledger (its journal or SQLite file) holds a row of {@code key}: no other state file names keys. */
    private static boolean inLedger(java.nio.file.Path state, String key) throws Exception {
        byte[] needle = ("\t" + key + "\t").getBytes(StandardCharsets.UTF_8);
        byte[] bare = key.getBytes(StandardCharsets.UTF_8);
        try (var files = java.nio.file.Files.list(state)) {
            for (java.nio.file.Path f : files.filter(f -> f.getFileName().toString().startsWith("spend.")).toList()) {
                try {
                    byte[] bytes = java.nio.file.Files.readAllBytes(f);
                    if (indexOf(bytes, f.getFileName().toString().startsWith("spend.journal.") ? needle : bare) >= 0) {
                        return true;
                    }
                } catch (java.nio.file.NoSuchFileException folded) {
                    // a journal file SQLite took meanwhile: the next look finds the row there
                }
            }
        }
        return false;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Key busy's requests on both nodes, back to back per client, until closed; every answer classified. */
    private static final class Load implements AutoCloseable {
        final AtomicInteger[] answered = {new AtomicInteger(), new AtomicInteger()};
        final AtomicInteger unavailable = new AtomicInteger();
        final List<String> unclean = new CopyOnWriteArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> clients = new ArrayList<>();

        Load(int clients) {
            for (int c = 0; c < clients; c++) {
                int first = c;
                this.clients.add(Thread.ofVirtual().start(() -> {
                    for (int i = first; !stop.get(); i++) {
                        try {
                            HttpResponse<String> r = chat(node(i), "tg-busy", CHAT);
                            if (r.statusCode() == 200 && JSON.readTree(r.body()).path("usage").isObject()) {
                                answered[i % 2].incrementAndGet();
                            } else if (r.statusCode() == 503 && r.headers().firstValue("retry-after").isPresent()
                                    && JSON.readTree(r.body()).path("error").path("code").asText().equals("shared_state_unreachable")) {
                                unavailable.incrementAndGet();
                                Thread.sleep(20); // a client honouring Retry-After would wait longer; this one just does not spin
                            } else {
                                unclean.add(r.statusCode() + " " + r.body());
                            }
                        } catch (Exception e) {
                            unclean.add(e.toString());
                        }
                    }
                }));
            }
        }

        /** Waits (bounded) until each node has answered {@code more} requests beyond {@code since}. */
        void awaitAnswered(int[] since, int more) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (answered[0].get() < since[0] + more || answered[1].get() < since[1] + more) {
                assertTrue(System.nanoTime() < deadline, "the load got no answers from a node: " + answered[0] + ", " + answered[1]
                        + " (" + unclean + ")");
                Thread.sleep(50);
            }
        }

        int[] answered() {
            return new int[] {answered[0].get(), answered[1].get()};
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : clients) {
                t.join();
            }
        }
    }

    /** One agent session's turns on both nodes: one session, one session budget, the same totals listed on either node. */
    @Test
    void aSessionServedByBothNodesIsOneSessionOnEither() throws Exception {
        BigDecimal spent = BigDecimal.ZERO;
        int served = 0;
        for (int i = 0; ; i++) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node(i) + "/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                    .header("authorization", "Bearer tg-tasked").header("content-type", "application/json").header("x-tollgate-session", "task-7")
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                assertEquals(400, r.statusCode(), r.body());
                assertTrue(r.body().contains("Session budget of key tasked"), r.body());
                break;
            }
            served++;
            spent = spent.add(cost(r));
            assertTrue(i < 50, "the session budget never ran out");
        }
        assertTrue(spent.compareTo(new BigDecimal("0.1")) <= 0, "both nodes' turns count toward one session budget: $" + spent);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (int n = 0; n < 2; n++) {
            JsonNode row = null;
            while (row == null || row.path("requests").asInt() != served + 1) {
                assertTrue(System.nanoTime() < deadline, "node " + n + " never listed the session's " + (served + 1) + " requests: " + row);
                HttpResponse<String> list = HTTP.send(HttpRequest.newBuilder(URI.create(node(n) + "/admin/sessions?key=tasked"))
                        .header("authorization", "Bearer admin-token").build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, list.statusCode(), list.body());
                row = JSON.readTree(list.body()).path("sessions").path(0);
                if (row.path("requests").asInt() != served + 1) {
                    Thread.sleep(50);
                }
            }
            assertEquals("task-7", row.path("id").asText(), row.toString());
            assertEquals(0, spent.compareTo(row.path("cost_usd").decimalValue()), "node " + n + " lists every node's spend: " + row);
            assertEquals(1, row.path("errors").asInt(), row.toString());
        }
    }

    @Test
    void oneBudgetHoldsAcrossBothNodesUnderConcurrency() throws Exception {
        List<Future<HttpResponse<String>>> sent = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                String base = node(i);
                sent.add(pool.submit(() -> chat(base, "tg-spender", CHAT)));
            }
        }
        BigDecimal answered = BigDecimal.ZERO;
        BigDecimal largest = BigDecimal.ZERO;
        int ok = 0;
        for (Future<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
                answered = answered.add(cost(r));
                largest = largest.max(cost(r));
            } else {
                assertEquals(400, r.statusCode(), r.body());
                JsonNode error = JSON.readTree(r.body()).path("error");
                assertEquals("budget_exceeded", error.path("code").asText(), r.body());
                assertTrue(error.path("message").asText().startsWith("Total budget of key spender"), r.body());
            }
        }
        assertTrue(ok > 0 && ok < 200, ok + " of 200 answered");
        // Then one at a time until refused: the budget shared by both nodes is usable to its end, not past it.
        for (int i = 0; ; i++) {
            HttpResponse<String> r = chat(node(i), "tg-spender", CHAT);
            if (r.statusCode() != 200) {
                assertEquals(400, r.statusCode(), r.body());
                break;
            }
            ok++;
            answered = answered.add(cost(r));
            largest = largest.max(cost(r));
            assertTrue(i < 100, "the budget never ran out");
        }
        BigDecimal[] redis = redisTotal("spender");
        System.out.println("shared budget $" + BUDGET + ": " + ok + " answered for $" + answered + "; Redis spent $" + redis[0]
                + ", held $" + redis[1]);
        assertEquals(0, answered.compareTo(redis[0]), "Redis has every answered request's cost once");
        for (int n = 0; n < 2; n++) {
            JsonNode row = usageRow(node(n), "key", "total", "spender");
            assertEquals(0, answered.compareTo(row.path("spent_usd").decimalValue()), "node " + n + "'s report has both nodes' spend once: " + row);
            assertEquals(ok, row.path("requests").asInt(), row.toString());
        }
        assertEquals(0, BigDecimal.ZERO.compareTo(redis[1]), "nothing held once every request is over");
        for (int n = 0; n < 2; n++) {
            JsonNode usage = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(node(n) + "/v1/usage"))
                    .header("authorization", "Bearer tg-spender").build(), HttpResponse.BodyHandlers.ofString()).body());
            JsonNode budget = usage.path("budgets").get(0);
            assertEquals(0, answered.compareTo(budget.path("spent_usd").decimalValue()), "GET /v1/usage shows the shared balance: " + usage);
            assertEquals(0, BUDGET.subtract(answered).compareTo(budget.path("remaining_usd").decimalValue()), usage.toString());
        }
        assertTrue(answered.compareTo(BUDGET.add(largest)) <= 0, "spent $" + answered + " of $" + BUDGET);
        assertTrue(answered.compareTo(BUDGET.subtract(largest.multiply(BigDecimal.valueOf(3)))) >= 0,
                "refused while the budget still had room: $" + answered + " of $" + BUDGET);
    }

    @Test
    void aNodeKilledMidRequestChargesItsHoldInRedisWhenItRestarts() throws Exception {
        stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[{\"model\":\"slow\",\"stall_ms\":20000,\"after_chunks\":1}]}");
        String body = "{\"model\":\"sim/slow\",\"max_tokens\":16,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"count the cost\"}]}";
        java.util.concurrent.CountDownLatch admitted = new java.util.concurrent.CountDownLatch(1);
        Thread request = Thread.ofVirtual().start(() -> {
            try {
                HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(node(0) + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(30)).header("authorization", "Bearer tg-crashy").header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
                BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("data: ")) {
                        admitted.countDown();
                    }
                }
            } catch (Exception cut) {
                // the node died under it
            }
        });
        assertTrue(admitted.await(20, java.util.concurrent.TimeUnit.SECONDS), "the request did not start: " + stack.get().logs());
        BigDecimal held = redisTotal("crashy")[1];
        assertTrue(held.signum() > 0, "the estimate is held in Redis while the request runs");
        // The reservation reaches the ledger with its next group commit (within 50 ms).
        long written = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!inLedger(stack.get().workDir.resolve("state"), "crashy")) {
            assertTrue(System.nanoTime() < written, "the reservation never reached the ledger");
            Thread.sleep(20);
        }

        stack.get().killGateway(); // kill -9: nothing settled, the hold stays in Redis
        request.join();
        assertEquals(0, held.compareTo(redisTotal("crashy")[1]));
        stack.get().startGateway();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (redisTotal("crashy")[1].signum() != 0) {
            assertTrue(System.nanoTime() < deadline, "the restarted node did not release its hold: " + stack.get().logs());
            Thread.sleep(100);
        }
        assertEquals(0, held.compareTo(redisTotal("crashy")[0]), "charged at the reserved amount, once");
        assertEquals(0, held.compareTo(reported(node(1), "crashy")), "as the usage report says");
    }

    @Test
    void aUsageReportOnOneNodeShowsTheRequestsTheOtherAnswered() throws Exception {
        BigDecimal spent = BigDecimal.ZERO;
        long input = 0;
        long output = 0;
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = chat(node(1), "tg-reported", CHAT);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode usage = JSON.readTree(r.body()).path("usage");
            spent = spent.add(cost(r));
            input += usage.path("prompt_tokens").asLong();
            output += usage.path("completion_tokens").asLong();
        }
        JsonNode row = usageRow(node(0), "key", "daily", "reported");
        assertEquals(3, row.path("requests").asInt(), "node A reports the requests node B answered: " + row);
        assertEquals(0, spent.compareTo(row.path("spent_usd").decimalValue()), row.toString());
        assertEquals(input, row.path("input_tokens").asLong(), row.toString());
        assertEquals(output, row.path("output_tokens").asLong(), row.toString());
        assertEquals(0, BigDecimal.ZERO.compareTo(row.path("in_flight_usd").decimalValue()), row.toString());
        assertTrue(usageRow(node(0), "model", "monthly", "sim/echo").path("requests").asInt() >= 3, "by model too");
    }

    @Test
    void aRequestsPerMinuteLimitAdmitsExactlyThatManyAcrossBothNodes() throws Exception {
        List<Future<HttpResponse<String>>> sent = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                String base = node(i);
                sent.add(pool.submit(() -> chat(base, "tg-paced", CHAT)));
            }
        }
        int ok = 0;
        for (Future<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("retry-after").isPresent(), "a 429 carries Retry-After");
                assertTrue(JSON.readTree(r.body()).path("error").path("message").asText().contains("Rate limit of key 'paced' reached"), r.body());
            }
        }
        // The bucket refills one request every 10 s; 40 concurrent requests take far less.
        assertEquals(PACED_RPM, ok, "requests_per_minute " + PACED_RPM + " over both nodes");
    }

    @Test
    void redisKilledUnderLoadCostsCleanRefusalsNotSpendAndTheNodesRecover() throws Exception {
        try (Load load = new Load(8)) {
            load.awaitAnswered(new int[] {0, 0}, 20);
            // Requests in flight when Redis dies: admitted (their first event arrived), then stalled upstream.
            int slow = 6;
            stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[{\"model\":\"slow\",\"stall_ms\":3000,\"after_chunks\":1,\"times\":" + slow + "}]}");
            String slowBody = "{\"model\":\"sim/slow\",\"max_tokens\":16,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"count the cost\"}]}";
            ConcurrentLinkedQueue<BigDecimal> completed = new ConcurrentLinkedQueue<>();
            java.util.concurrent.CountDownLatch admitted = new java.util.concurrent.CountDownLatch(slow);
            List<Thread> inFlight = new ArrayList<>();
            List<String> failures = new CopyOnWriteArrayList<>();
            for (int i = 0; i < slow; i++) {
                String base = node(i);
                inFlight.add(Thread.ofVirtual().start(() -> {
                    try {
                        HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                .timeout(Duration.ofSeconds(30)).header("authorization", "Bearer tg-loader").header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(slowBody)).build(), HttpResponse.BodyHandlers.ofInputStream());
                        BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
                        boolean first = true;
                        JsonNode usage = null;
                        boolean done = false;
                        for (String line; (line = lines.readLine()) != null; ) {
                            if (line.startsWith("data: ") && first) {
                                first = false;
                                admitted.countDown();
                            }
                            if (line.startsWith("data: {") && JSON.readTree(line.substring(6)).path("usage").isObject()) {
                                usage = JSON.readTree(line.substring(6)).path("usage");
                            }
                            done |= line.equals("data: [DONE]");
                        }
                        if (r.statusCode() == 200 && done && usage != null) {
                            completed.add(TOKEN_USD.multiply(BigDecimal.valueOf(usage.path("prompt_tokens").asLong()
                                    + usage.path("completion_tokens").asLong())));
                        } else {
                            failures.add("status " + r.statusCode() + ", done " + done + ", usage " + usage);
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }));
            }
            assertTrue(admitted.await(20, java.util.concurrent.TimeUnit.SECONDS), "the slow requests did not start: " + stack.get().logs());

            stack.get().killRedis();
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = chat(node(i), "tg-loader", CHAT);
                assertEquals(503, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("retry-after").isPresent(), "a 503 carries Retry-After");
                JsonNode error = JSON.readTree(r.body()).path("error");
                assertEquals("shared_state_unreachable", error.path("code").asText(), r.body());
                assertTrue(error.path("message").asText().contains("shared state store (Redis"), r.body());
                assertTrue(error.path("message").asText().contains("retry"), r.body());
            }
            // A key with rate limits fails on its buckets first, the same way.
            HttpResponse<String> paced = chat(node(1), "tg-paced", CHAT);
            assertEquals(503, paced.statusCode(), paced.body());
            assertEquals("shared_state_unreachable", JSON.readTree(paced.body()).path("error").path("code").asText(), paced.body());
            // Claude Code's dialect: Anthropic's error shape.
            HttpResponse<String> anthropic = HTTP.send(HttpRequest.newBuilder(URI.create(node(1) + "/anthropic/v1/messages"))
                    .header("x-api-key", "tg-loader").header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"sim/echo\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, anthropic.statusCode(), anthropic.body());
            assertEquals("overloaded_error", JSON.readTree(anthropic.body()).path("error").path("type").asText(), anthropic.body());
            HttpResponse<String> report = HTTP.send(HttpRequest.newBuilder(URI.create(node(0) + "/admin/usage?by=team"))
                    .header("authorization", "Bearer admin-token").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, report.statusCode(), "no report of part of the spend: " + report.body());
            assertEquals("shared_state_unreachable", JSON.readTree(report.body()).path("error").path("code").asText(), report.body());
            HttpResponse<String> health = stack.get().get(node(0) + "/health/ready");
            assertEquals("DOWN", JSON.readTree(health.body()).path("shared_state").asText(), "ready says the shared state is down: " + health.body());
            assertEquals(200, stack.get().get(node(0) + "/health/live").statusCode(), "live stays up");

            for (Thread t : inFlight) {
                t.join();
            }
            assertEquals(List.of(), failures, "requests in flight when Redis died finish");
            assertEquals(slow, completed.size());

            stack.get().startRedis(); // same port, empty
            for (int n = 0; n < 2; n++) {
                String ready = node(n) + "/health/ready";
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!JSON.readTree(stack.get().get(ready).body()).path("shared_state").asText().equals("UP")) {
                    assertTrue(System.nanoTime() < deadline, "node " + n + " did not find Redis again: " + stack.get().logs());
                    Thread.sleep(100);
                }
            }
            load.awaitAnswered(load.answered(), 20);
            load.close();
            assertEquals(List.of(), load.unclean, "under load every answer was a 200 or a clean 503");
            assertTrue(load.unavailable.get() > 0, "the load met the outage");
            System.out.println("load through the outage: " + load.answered[0] + " + " + load.answered[1] + " answered, " + load.unavailable
                    + " clean 503s");
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = chat(node(i), "tg-loader", CHAT);
                assertEquals(200, r.statusCode(), r.body());
                completed.add(cost(r));
            }
            // The in-flight requests' costs were kept in their nodes' ledgers and are replayed (every second) into the new Redis.
            BigDecimal expected = completed.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (redisTotal("loader")[0].compareTo(expected) < 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            BigDecimal[] redis = redisTotal("loader");
            System.out.println("Redis killed: " + completed.size() + " completed since ($" + expected + "); Redis spent $" + redis[0]);
            assertEquals(0, expected.compareTo(redis[0]), "every request completed since the kill is in Redis, once: $" + redis[0]
                    + " for $" + expected);
            assertEquals(0, BigDecimal.ZERO.compareTo(redis[1]), "nothing held");
        }
    }

    /** A node's export, line by line. */
    private static List<JsonNode> export(String base) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/admin/requests/export?since=1d"))
                .timeout(Duration.ofSeconds(20)).header("authorization", "Bearer admin-token").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    @Test
    void anExportFromOneNodeNamesTheOtherInLacks() throws Exception {
        String a = node(0);
        String b = node(1);
        assertEquals(200, chat(b, "tg-exported", CHAT).statusCode()); // a request only node B's log holds
        String idB = export(b).getFirst().path("node").asText();
        assertTrue(!idB.isEmpty(), "node B's export names its node on its first line");
        // Each node registers from a background thread on start (and again after a Redis restart another test may cause): wait for B's entry.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<JsonNode> lines = export(a);
        while (!lines.getLast().path("lacks").toString().contains(idB) && System.nanoTime() < deadline) {
            Thread.sleep(250); // between polls of a condition with a deadline, not a wait for time to pass
            lines = export(a);
        }
        JsonNode first = lines.getFirst();
        JsonNode end = lines.getLast();
        assertTrue(first.path("start").asBoolean(), first.toString());
        assertTrue(end.path("end").asBoolean(), end.toString());
        String idA = end.path("node").asText();
        assertTrue(!idA.isEmpty() && !idA.equals(idB), end.toString());
        assertEquals("[\"" + idB + "\"]", end.path("lacks").toString(), "node A's export lacks node B: " + end);
        assertTrue(end.path("nodes").toString().contains(idA) && end.path("nodes").toString().contains(idB), end.toString());
        assertEquals(first.path("node"), end.path("node"));
        // the roster entry is B's id with its host:port, kept alive by a TTL
        String where = stack.get().redis("GET", "tollgate:node:" + idB).strip();
        assertTrue(where.endsWith(":" + nodeB), where);
        long ttl = Long.parseLong(stack.get().redis("PTTL", "tollgate:node:" + idB).strip());
        assertTrue(ttl > 0 && ttl <= 15_000, "PTTL " + ttl);
    }
}
