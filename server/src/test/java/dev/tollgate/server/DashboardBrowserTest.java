package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import dev.tollgate.server.trace.RequestRecord;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser: Debian's Chromium, driven over WebDriver by ChromeDriver, loads
 * /ui against a gateway with recorded traffic; the charts must show the recorded numbers. Leaves a
 * screenshot in server/target/dashboard.png. Skipped when Chromium is not installed, unless
 * TOLLGATE_REQUIRE_BROWSER=1 (make test and .ci/run install it and set that).
 */
class DashboardBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String KEY = "tg-dashboard-test-key";
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void chartsShowTheRecordedTraffic(@TempDir Path tmp) throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present && "1".equals(System.getenv("TOLLGATE_REQUIRE_BROWSER"))) {
            throw new AssertionError("Chromium and ChromeDriver are required: apt-get install -y chromium chromium-driver");
        }
        Assumptions.assumeTrue(present, "Chromium not installed (apt-get install -y chromium chromium-driver)");
        Path state = tmp.resolve("state");
        try (FakeUpstream up = new FakeUpstream()) {
            String policy = ObservabilityTest.policy(up.port(), up.port()) + """
                    customers:
                      - {id: acme, name: Acme}
                    teams:
                      - id: platform
                        customer: acme
                        name: Platform
                        budgets: [{amount_usd: 1, period: monthly}]
                        unpriced: allow
                    keys:
                      - {id: alice, team: platform, sha256: %s}
                    """.formatted("448955954cc7c391fbb6efb18ab2a3cff20b26897563d40905fd076433d9ada8"); // sha256 of KEY
            PolicySnapshot snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
            Telemetry telemetry = Telemetry.create(TelemetrySettings.defaults(), state);
            try (TollgateServer gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                    new PolicyHolder(snapshot), null, telemetry)) {
                int port = gateway.port();
                HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ui"))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                assertEquals(200, head.statusCode(), "HEAD /ui");
                assertTrue(head.headers().firstValue("content-type").orElse("").startsWith("text/html"));
                try (WebDriver browser = WebDriver.start(tmp.resolve("chrome-profile-empty"))) {
                    // Before any traffic: a readable empty state, not empty axes.
                    browser.open("http://127.0.0.1:" + port + "/ui#token=" + ObservabilityTest.ADMIN);
                    ObservabilityTest.await("the empty dashboard drawn", () -> "true".equals(browser.script("return document.body.dataset.ready || ''")) ? true : null);
                    assertEquals("No requests in the last 24 hours. Point a client at this gateway with a key of its policy (README: Pointing "
                            + "clients at it); requests appear here within a minute.", browser.script(
                            "const e = document.getElementById('empty'); return e.hidden ? 'hidden' : e.textContent"));
                    assertEquals("No requests in the last 24 hours.", browser.script("return document.querySelector('#c-rate p.empty').textContent"));
                }
                // Real traffic: two answers of 1000 + 500 tokens at $1 / $2 per million = $0.002 each, and one refusal.
                up.answer(FakeUpstream.json(200, "{\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":500}}"));
                Map<String, String> key = Map.of("authorization", "Bearer " + KEY);
                for (int i = 0; i < 2; i++) {
                    ObservabilityTest.post(port, "/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[]}",
                            Map.of("authorization", "Bearer " + KEY, "x-tollgate-session", "task-7"));
                }
                ObservabilityTest.post(port, "/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[]}", key);
                // The gate (governance issue) will name the key and team; until then a record as it will write it.
                Instant now = Instant.now();
                telemetry.log().offer(new RequestRecord("req_gov", now, "alice", "platform", "acme", "openai", "responses",
                        "codex_exec/0.169.0", "resilient", "backup", "b", List.of(new RequestRecord.Attempt("backup", "b", "ok", 120)),
                        200, null, true, 50_000, 20_000, 0, 0, 0, new BigDecimal("0.27"), 900, 150.0, 880, snapshot.version(), null, null));
                JsonNode stats = ObservabilityTest.await("4 recorded requests", () -> {
                    try {
                        HttpResponse<String> r = ObservabilityTest.get(port, "/admin/stats?since=1h", ObservabilityTest.ADMIN);
                        JsonNode n = JSON.readTree(r.body());
                        if (n.path("totals").path("requests").asInt() != 4) {
                            System.err.println("stats: " + r.statusCode() + " " + r.body());
                            return null;
                        }
                        return n;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertEquals(0.274, stats.path("totals").path("cost_usd").asDouble(), 1e-9);
                // The gate names the caller on every record it admitted: both answers and the unknown model.
                JsonNode byKey = JSON.readTree(ObservabilityTest.get(port, "/admin/requests?key=alice&team=platform", ObservabilityTest.ADMIN).body())
                        .path("requests");
                assertEquals(4, byKey.size(), byKey.toString());
                for (JsonNode row : byKey) {
                    assertEquals("acme", row.path("customer").asText(), row.toString());
                }

                try (WebDriver browser = WebDriver.start(tmp.resolve("chrome-profile"))) {
                    browser.open("http://127.0.0.1:" + port + "/ui#token=" + ObservabilityTest.ADMIN);
                    ObservabilityTest.await("the dashboard drawn", () -> "true".equals(browser.script("return document.body.dataset.ready || ''")) ? true : null);
                    assertEquals("4", browser.script("return document.getElementById('t-requests').textContent"));
                    // The unknown model's 404 is a refusal, not a failure.
                    assertEquals("25.0%", browser.script("return document.getElementById('t-refused').textContent"));
                    assertEquals("0.0%", browser.script("return document.getElementById('t-failed').textContent"));
                    assertEquals("hidden", browser.script("return document.getElementById('empty').hidden ? 'hidden' : 'shown'"));
                    assertEquals("$0.2740", browser.script("return document.getElementById('t-cost').textContent"));
                    assertEquals(snapshot.version().substring(0, 12), browser.script("return document.getElementById('commit').textContent"));
                    // Spend by model: the bars carry the recorded values.
                    String models = browser.script("return [...document.querySelectorAll('#c-models g.bar')]"
                            + ".map(g => g.dataset.label + '=' + g.dataset.value + ':' + g.querySelector('text.value').textContent).join(',')");
                    assertEquals("resilient=0.27:$0.2700,fast=0.004:$0.004,(other)=0:$0", models, "a made-up model name is (other)");
                    assertEquals("resilient", browser.script("return document.querySelector('#c-models g.bar title').textContent"),
                            "each bar's name has a tooltip");
                    // What a person sees: legend swatches in different colours as computed under the page's CSP, times with
                    // dates, money in plain numbers.
                    String swatches = browser.script("return [...document.querySelectorAll('#c-rate g.legend rect')]"
                            + ".map(r => getComputedStyle(r).fill).join('|')");
                    assertEquals(3, java.util.Arrays.stream(swatches.split("\\|")).distinct().count(), swatches);
                    assertTrue(!swatches.contains("rgb(0, 0, 0)") && !swatches.contains("none"), swatches);
                    String times = browser.script("return [...document.querySelectorAll('#c-rate text.time')].map(t => t.textContent).join(',')");
                    assertTrue(times.matches("\\d\\d-\\d\\d \\d\\d:\\d\\d(,\\d\\d-\\d\\d \\d\\d:\\d\\d){2}"), times);
                    String money = browser.script("return [...document.querySelectorAll('#c-spend-time text.axis')].map(t => t.textContent).join(',')");
                    assertTrue(money.startsWith("$0,") && !money.contains("e"), money);
                    String keys = browser.script("return [...document.querySelectorAll('#c-top-keys g.bar')].map(g => g.dataset.label + '=' + g.dataset.value).join(',')");
                    assertEquals("alice=0.274", keys);
                    String series = browser.script("return [...document.querySelectorAll('#c-spend-time g.series')].map(g => g.dataset.name + '=' + g.dataset.total).join(',')");
                    assertEquals("platform=0.274", series);
                    String rate = browser.script("return document.querySelector('#c-rate g.series[data-name=requests]').dataset.total");
                    assertEquals("4", rate);
                    String budget = browser.script("return document.querySelector('#c-budgets li').textContent");
                    assertTrue(budget.startsWith("team platform: $0.2740 of $1.00 monthly, projected $"), budget);
                    // GET /admin/budgets: the last 24 hours burned $0.274, so at that rate the $0.996 the live balance has left
                    // runs out in about 3.6 days, or lasts to the reset should the month end sooner.
                    assertTrue(budget.contains("; at the last day's $0.2740/day it runs out ") || budget.contains("; at the last day's $0.2740/day it lasts until it resets"), budget);

                    // Agent sessions: the two answers of session task-7, most expensive first; a click shows its timeline.
                    assertEquals("task-7|alice|$0.004|2|0|fast", browser.script("return [...document.querySelectorAll('#sessions tbody tr:first-child td')]"
                            + ".slice(0, 6).map(td => td.textContent).join('|')"));
                    assertEquals("true", browser.script("return String(document.getElementById('timeline').hidden)"));
                    browser.script("document.querySelector('#sessions tbody tr').click(); return ''");
                    ObservabilityTest.await("the timeline drawn", () -> "false".equals(browser.script("return String(document.getElementById('timeline').hidden)")) ? true : null);
                    assertEquals("Session task-7 of key alice: $0.004 in 2 requests", browser.script("return document.getElementById('timeline-title').textContent"));
                    assertEquals("200|fast|1000 / 500|$0.002", browser.script("return [...document.querySelectorAll('#timeline-rows tr:first-child td')]"
                            + ".slice(1, 6).filter((td, i) => i !== 2).map(td => td.textContent).join('|')"));
                    assertEquals("2", browser.script("return String(document.querySelectorAll('#timeline-rows tr').length)"));
                    byte[] png = browser.screenshot();
                    // Kept as a build artifact: server/target/dashboard.png.
                    Path shot = Path.of("target", "dashboard.png");
                    Files.createDirectories(shot.getParent());
                    Files.write(shot, png);
                    assertTrue(png.length > 10_000, "a real screenshot");
                    assertTrue(Files.size(shot) == png.length);
                }
            }
        }
    }

    /** Just enough of the W3C WebDriver protocol, over ChromeDriver, to open a page, run a script and take a screenshot. */
    static final class WebDriver implements AutoCloseable {

        private final Process driver;
        private final String base;
        private final String session;

        private WebDriver(Process driver, String base, String session) {
            this.driver = driver;
            this.base = base;
            this.session = session;
        }

        static WebDriver start(Path profile) throws Exception {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Process driver = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port, "--allowed-ips=127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String base = "http://127.0.0.1:" + port;
            try {
                ObservabilityTest.await("chromedriver", () -> {
                    try {
                        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(), HttpResponse.BodyHandlers.ofString())
                                .statusCode() == 200 ? true : null;
                    } catch (Exception e) {
                        return null;
                    }
                });
                ObjectNode caps = JSON.createObjectNode();
                ObjectNode options = caps.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome")
                        .putObject("goog:chromeOptions").put("binary", CHROMIUM.toString());
                var args = options.putArray("args");
                // The flags that work on this kind of machine (no sandbox as root, no background connections).
                for (String a : List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                        "--window-size=1400,1000", "--user-data-dir=" + profile)) {
                    args.add(a);
                }
                JsonNode created = call(base, "POST", "/session", caps);
                return new WebDriver(driver, base, created.path("value").path("sessionId").asText());
            } catch (Exception | AssertionError e) {
                driver.destroy();
                throw e;
            }
        }

        private static JsonNode call(String base, String method, String path, JsonNode body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .header("content-type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString()));
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("WebDriver " + method + " " + path + " -> " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        }

        void open(String url) throws Exception {
            call(base, "POST", "/session/" + session + "/url", JSON.createObjectNode().put("url", url));
        }

        String script(String js) {
            try {
                ObjectNode body = JSON.createObjectNode().put("script", js);
                body.putArray("args");
                JsonNode value = call(base, "POST", "/session/" + session + "/execute/sync", body).path("value");
                return value.isNull() ? null : value.asText();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] screenshot() throws Exception {
            return Base64.getDecoder().decode(call(base, "GET", "/session/" + session + "/screenshot", null).path("value").asText());
        }

        @Override
        public void close() {
            try {
                call(base, "DELETE", "/session/" + session, null);
            } catch (Exception e) {
                // the driver goes next either way
            }
            driver.destroy();
        }
    }
}
