package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kill -9 under load, then restart: the ledger holds the cost of every response that completed,
 * since a response's spend is committed before its final bytes are written.
 */
class LedgerCrashIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** $1,000 per million tokens each way: a token costs $0.001. */
    private static final BigDecimal TOKEN_USD = new BigDecimal("0.001");
    private static final int CLIENTS = 16;

    @RegisterExtension
    static final StackExtension stack = StackExtension.of("crash", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: sim/echo, targets: [{provider: sim, model: echo}]}
                pricing:
                  - {model: sim/echo, input: 1000, output: 1000}
                admins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: loader, team: infra, sha256: %s}
                """.formatted(KeyHash.sha256("admin-token"), KeyHash.sha256("tg-loader")));

    @Test
    void everyCompletedResponseIsInTheLedgerAfterKillDashNine() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        ConcurrentLinkedQueue<BigDecimal> completed = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch enough = new CountDownLatch(300);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            boolean stream = c % 2 == 0;
            clients.add(Thread.ofPlatform().start(() -> {
                String body = "{\"model\":\"sim/echo\",\"stream\":" + stream + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "") + ",\"messages\":[{\"role\":\"user\",\"content\":\"count the cost\"}]}";
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/chat/completions")))
                                .header("authorization", "Bearer tg-loader").header("content-type", "application/json")
                                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        JsonNode usage = usage(r.body(), stream);
                        if (r.statusCode() == 200 && usage != null) {
                            completed.add(TOKEN_USD.multiply(BigDecimal.valueOf(usage.path("prompt_tokens").asLong()
                                    + usage.path("completion_tokens").asLong())));
                            enough.countDown();
                        }
                    } catch (Exception e) {
                        // the gateway died under this request: it did not complete
                    }
                }
            }));
        }
        assertTrue(enough.await(60, java.util.concurrent.TimeUnit.SECONDS), "the load did not get going: " + stack.get().logs());
        stack.get().killGateway();
        stop.set(true);
        for (Thread t : clients) {
            t.join();
        }
        stack.get().startGateway();

        JsonNode report = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/usage?by=key&period=total")))
                .header("authorization", "Bearer admin-token").build(), HttpResponse.BodyHandlers.ofString()).body());
        JsonNode loader = report.path("rows").get(0);
        BigDecimal owed = completed.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
        BigDecimal charged = loader.path("spent_usd").decimalValue();
        assertEquals("loader", loader.path("key").asText(), report.toString());
        assertEquals(0, BigDecimal.ZERO.compareTo(loader.path("in_flight_usd").decimalValue()), "nothing left unsettled after recovery");
        assertTrue(loader.path("requests").asInt() >= completed.size(), completed.size() + " completed, ledger has " + loader);
        assertTrue(loader.path("requests").asInt() <= completed.size() + CLIENTS, "at most one open request per client: " + loader);
        assertTrue(charged.compareTo(owed) >= 0, "charged $" + charged + " for " + completed.size() + " completed responses costing $" + owed);
        System.out.println("kill -9 under load: " + completed.size() + " completed ($" + owed + "), ledger after restart: "
                + loader.path("requests").asInt() + " requests, $" + charged);
    }

    /** The usage of a whole chat answer, or of a stream that reached [DONE] (it asked for the usage chunk); null when cut off. */
    private static JsonNode usage(String body, boolean stream) throws Exception {
        if (!stream) {
            JsonNode u = JSON.readTree(body).path("usage");
            return u.isObject() ? u : null;
        }
        if (!body.contains("data: [DONE]")) {
            return null;
        }
        JsonNode found = null;
        for (String line : body.split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode u = JSON.readTree(line.substring(6)).path("usage");
                if (u.isObject()) {
                    found = u;
                }
            }
        }
        return found;
    }
}
