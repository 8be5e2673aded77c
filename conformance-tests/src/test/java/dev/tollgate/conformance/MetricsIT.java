package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway process's {@code /metrics} after real traffic through the simulator: a budget's
 * remaining USD goes down by what a request cost, and a target's circuit shows open after the
 * simulator's injected failures.
 */
class MetricsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The scrape token, given to the gateway as Prometheus would hold it: TOLLGATE_METRICS_TOKEN. */
    private static final String SCRAPE_TOKEN = "scrape-token-for-metrics-it";

    @RegisterExtension
    static final StackExtension stack = StackExtension.starting(() -> Stack.start("metrics", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - id: flaky
                    kind: openai-compatible
                    base_url: "http://127.0.0.1:SIM_PORT/v1"
                    circuit_breaker: {failures: 2, open_seconds: 600}
                models:
                  - {name: steady, targets: [{provider: sim, model: steady-m}]}
                  - {name: shaky, targets: [{provider: flaky, model: shaky-m}]}
                pricing:
                  - {model: steady, input: 1000, output: 1000}
                  - {model: shaky, input: 1000, output: 1000}
                customers: [{id: acme, budgets: [{amount_usd: 500, period: monthly}]}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - id: dev
                    team: infra
                    sha256: %s
                    budgets: [{amount_usd: 10, period: daily}, {amount_usd: 5, period: total, model: steady}]
                """.formatted(KeyHash.sha256("tg-dev")), java.util.Map.of("TOLLGATE_METRICS_TOKEN", SCRAPE_TOKEN)));

    private static HttpResponse<String> chat(String model) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/chat/completions")))
                .header("authorization", "Bearer tg-dev").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String metrics() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/metrics")))
                .header("authorization", "Bearer " + SCRAPE_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void withoutTheScrapeTokenTheMetricsAreRefused() throws Exception {
        HttpResponse<String> none = stack.get().get(stack.get().gateway("/metrics"));
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(!none.body().contains("acme") && !none.body().contains("tollgate_"), none.body());
        HttpResponse<String> key = HTTP.send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/metrics")))
                .header("authorization", "Bearer tg-dev").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, key.statusCode(), "a virtual key does not scrape");
    }

    /** The value of the one series with exactly these labels (in Prometheus' alphabetical order). */
    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), series + " not in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void budgetRemainingGoesDownByWhatARequestCost() throws Exception {
        String daily = "tollgate_budget_remaining_usd{level=\"key\",model=\"all\",owner=\"dev\",period=\"daily\"}";
        String perModel = "tollgate_budget_remaining_usd{level=\"key\",model=\"steady\",owner=\"dev\",period=\"total\"}";
        String customer = "tollgate_budget_remaining_usd{level=\"customer\",model=\"all\",owner=\"acme\",period=\"monthly\"}";
        String before = metrics();
        assertEquals(10.0, value(before, daily), 1e-9);
        assertEquals(5.0, value(before, perModel), 1e-9);
        assertEquals(500.0, value(before, customer), 1e-9);

        HttpResponse<String> r = chat("steady");
        assertEquals(200, r.statusCode(), r.body());

        String after = metrics();
        double spent = 10.0 - value(after, daily);
        assertTrue(spent > 0, "the daily budget went down: " + after);
        assertEquals(spent, 5.0 - value(after, perModel), 1e-9, "the model's budget went down by the same cost");
        assertEquals(spent, 500.0 - value(after, customer), 1e-9, "and the customer's");
        assertTrue(after.contains("# TYPE tollgate_budget_remaining_usd gauge"), after);
    }

    @Test
    void circuitOpensAfterInjectedFailures() throws Exception {
        String shaky = "tollgate_circuit_state{model=\"shaky-m\",provider=\"flaky\"}";
        String steady = "tollgate_circuit_state{model=\"steady-m\",provider=\"sim\"}";
        assertEquals(0.0, value(metrics(), shaky), "closed before any failure");

        HttpResponse<String> fault = stack.get().post(stack.get().sim("/_sim/faults"), "{\"faults\":[{\"status\":503,\"model\":\"shaky-m\",\"times\":2}]}");
        assertEquals(200, fault.statusCode(), fault.body());
        assertEquals(503, chat("shaky").statusCode());
        assertEquals(0.0, value(metrics(), shaky), "one failure of the two it takes");
        assertEquals(503, chat("shaky").statusCode());

        String after = metrics();
        assertEquals(2.0, value(after, shaky), "open after the second failure: " + after);
        assertEquals(0.0, value(after, steady));
    }
}
