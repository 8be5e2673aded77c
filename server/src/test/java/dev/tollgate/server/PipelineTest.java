package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.server.budget.Spend;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.dispatch.Dispatcher;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.ledger.Ledger;
import dev.tollgate.server.ledger.SqliteLedger;
import dev.tollgate.server.route.Router;
import dev.tollgate.server.route.Upstreams;
import dev.tollgate.server.surface.Pipeline;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on its own (gate, route, dispatch, settle), driven by a bare Helidon route instead of a
 * surface: every admitted request settles exactly once, at the price of what the upstream reported.
 */
class PipelineTest {

    private static final String ANSWER = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}";

    @TempDir
    Path state;
    private FakeUpstream upstream;
    private Spend spend;
    private WebServer server;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream();
        PolicySnapshot policy = PolicyLoader.load(Map.of("p.yaml", """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: m, targets: [{provider: up, model: m-up}]}
                pricing:
                  - {model: m, input: 1000, output: 1000}
                customers:
                  - {id: acme}
                teams:
                  - {id: infra, customer: acme}
                keys:
                  - {id: alice, team: infra, sha256: %s, limits: {requests_per_minute: 100}}
                  - {id: poor, team: infra, sha256: %s, budgets: [{amount_usd: 0.000001, period: daily}]}
                """.formatted(upstream.port(), Secrets.sha256("k-alice"), Secrets.sha256("k-poor")).getBytes(StandardCharsets.UTF_8)));
        spend = new Spend(() -> SqliteLedger.open(state, false), Clock.systemUTC());
        Pipeline pipeline = new Pipeline(new Gate(spend), new Router(),
                new Dispatcher(new UpstreamClient(), new Upstreams(Clock.systemUTC()), new Adapters()));
        server = WebServer.builder().host("127.0.0.1").port(0).routing(r -> r.post("/run", (req, res) -> {
            Call call = new Call(Api.CHAT_COMPLETIONS, "m", false, JsonBody.parse(req.content().as(byte[].class)), Map.of(), policy);
            try {
                pipeline.run(call, req, res);
            } catch (GatewayException e) {
                res.status(e.error().status()).send(e.error().getClass().getSimpleName() + ": " + e.error().message());
            }
        })).build().start();
    }

    @AfterEach
    void stop() {
        server.stop();
        upstream.close();
        spend.close();
    }

    private HttpResponse<String> run(String key, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/run"))
                .header("authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        headers.forEach(b::header);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Ledger.UsageLine alice() {
        List<Ledger.UsageLine> lines = spend.ledger().usage(Ledger.By.KEY, 0);
        return lines.stream().filter(l -> l.name().equals("alice")).findFirst().orElse(new Ledger.UsageLine("alice", 0, 0, 0, 0, 0));
    }

    @Test
    void anAnsweredRequestSettlesOnceAtTheReportedUsage() throws Exception {
        upstream.answer(FakeUpstream.json(200, ANSWER));
        HttpResponse<String> answer = run("k-alice", Map.of());
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("99", answer.headers().firstValue("x-ratelimit-remaining-requests").orElse(""), "the gate's headers are on the answer");
        Ledger.UsageLine line = alice();
        assertEquals(1, line.requests());
        assertEquals(10_000_000L, line.spentNanos(), "10 tokens at $1000 per million");
        assertEquals(0, line.inFlightNanos(), "nothing left reserved");
    }

    @Test
    void aFailedUpstreamReleasesTheReservationAndChargesNothingGenerated() throws Exception {
        upstream.close();
        HttpResponse<String> answer = run("k-alice", Map.of());
        assertEquals(502, answer.statusCode(), answer.body());
        Ledger.UsageLine line = alice();
        assertEquals(0, line.spentNanos());
        assertEquals(0, line.inFlightNanos());
    }

    @Test
    void aRefusalNeverReachesTheUpstream() throws Exception {
        upstream.answer(FakeUpstream.json(200, ANSWER));
        HttpResponse<String> answer = run("k-poor", Map.of());
        assertEquals(400, answer.statusCode(), answer.body());
        assertTrue(answer.body().startsWith("BudgetExhausted"), answer.body());
        assertEquals(0, upstream.received.size());
    }

    @Test
    void aMalformedFallbackHeaderIsRefusedBeforeTheGateTakesAnything() throws Exception {
        upstream.answer(FakeUpstream.json(200, ANSWER));
        HttpResponse<String> bad = run("k-alice", Map.of("x-tollgate-fallbacks", "a b c"));
        assertEquals(400, bad.statusCode(), bad.body());
        assertEquals(0, upstream.received.size());
        HttpResponse<String> good = run("k-alice", Map.of());
        assertEquals("99", good.headers().firstValue("x-ratelimit-remaining-requests").orElse(""), "the refused one took no rate-limit slot");
    }
}
