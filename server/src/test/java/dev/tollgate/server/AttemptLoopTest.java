package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.dispatch.AttemptsFailed;
import dev.tollgate.server.dispatch.Dispatcher;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.route.Attempt;
import dev.tollgate.server.route.Routed;
import dev.tollgate.server.route.Router;
import dev.tollgate.server.route.Upstreams;
import dev.tollgate.server.settle.Settle;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatch stage on its own: no gate, no surface, no governance; a route of two upstreams on
 * loopback, and a bare Helidon route that hands each request straight to the dispatcher.
 */
class AttemptLoopTest {

    private static final String ANSWER = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"WHO\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";

    private FakeUpstream a;
    private FakeUpstream b;
    private WebServer server;
    /** Filled after the answer is sent: read with {@link #result()}, which waits for it. */
    private final java.util.concurrent.BlockingQueue<Dispatcher.Result> results = new java.util.concurrent.LinkedBlockingQueue<>();
    private final List<AttemptsFailed> failures = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        a = new FakeUpstream();
        b = new FakeUpstream();
        PolicySnapshot policy = PolicyLoader.load(Map.of("p.yaml", """
                providers:
                  - {id: a, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                  - {id: b, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - name: m
                    targets: [{provider: a, model: a-model}]
                    fallbacks: [{provider: b, model: b-model}]
                    retry: {attempts: 2, backoff_ms: 0}
                """.formatted(a.port(), b.port()).getBytes(StandardCharsets.UTF_8)));
        Dispatcher dispatcher = new Dispatcher(new UpstreamClient(), new Upstreams(Clock.systemUTC()), new Adapters());
        Router router = new Router();
        server = WebServer.builder().host("127.0.0.1").port(0).routing(r -> r.post("/run", (req, res) -> {
            JsonBody body = JsonBody.parse(req.content().as(byte[].class));
            Call call = new Call(Api.CHAT_COMPLETIONS, "m", false, body, Map.of(), policy);
            try {
                results.add(dispatcher.dispatch(call, Routed.of(router.route(policy, "m")), res, Settle.NONE));
            } catch (AttemptsFailed e) {
                failures.add(e);
                res.status(502).send(e.error().message());
            } catch (GatewayException e) {
                res.status(500).send(e.error().message());
            }
        })).build().start();
    }

    @AfterEach
    void stop() {
        server.stop();
        a.close();
        b.close();
    }

    private HttpResponse<String> run() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/run"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Dispatcher.Result result() throws InterruptedException {
        Dispatcher.Result r = results.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("the dispatcher returned no result within 10 s");
        }
        return r;
    }

    private static List<Attempt.Outcome> outcomes(List<Attempt> attempts) {
        return attempts.stream().map(Attempt::outcome).toList();
    }

    @Test
    void aTargetThatFailsIsRetriedThenFallenBackFrom() throws Exception {
        a.answer(FakeUpstream.json(503, "{\"error\":{\"message\":\"busy\"}}"));
        b.answer(FakeUpstream.json(200, ANSWER.replace("WHO", "from-b")));
        HttpResponse<String> answer = run();
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("from-b"), answer.body());
        assertEquals(2, a.received.size(), "retried once on the same target");
        assertEquals(1, b.received.size());
        assertEquals(List.of(Attempt.Outcome.UPSTREAM_ERROR, Attempt.Outcome.UPSTREAM_ERROR, Attempt.Outcome.ANSWERED),
                outcomes(result().attempts()));
        assertEquals("b-model", JsonBody.MAPPER.readTree(b.received.getFirst().body()).path("model").asText());
    }

    @Test
    void aSuccessThatIsNotJsonIsAFailedAttemptNotAnAnswer() throws Exception {
        a.answer(FakeUpstream.json(200, "{not json"));
        b.answer(FakeUpstream.json(200, ANSWER.replace("WHO", "from-b")));
        HttpResponse<String> answer = run();
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("from-b"), answer.body());
        assertEquals(Attempt.Outcome.ANSWERED, result().attempts().getLast().outcome());
    }

    @Test
    void theLastTargetsOwnFailureIsWhatTheClientSees() throws Exception {
        a.answer(FakeUpstream.json(503, "{}"));
        b.answer(FakeUpstream.json(502, "{\"error\":{\"message\":\"b is down\"}}"));
        HttpResponse<String> answer = run();
        assertEquals(502, answer.statusCode());
        assertTrue(answer.body().contains("b is down"), answer.body());
        assertEquals(2, a.received.size(), "each target gets its retry");
        assertEquals(2, b.received.size(), "each target gets its retry");
    }

    @Test
    void whenNoTargetCanBeReachedEveryTargetsReasonIsKept() throws Exception {
        a.close();
        b.close();
        HttpResponse<String> answer = run();
        assertEquals(502, answer.statusCode());
        assertTrue(answer.body().contains("Provider 'a'") && answer.body().contains("Provider 'b'"), answer.body());
        assertEquals(List.of(Attempt.Outcome.CONNECT_FAILED, Attempt.Outcome.CONNECT_FAILED, Attempt.Outcome.CONNECT_FAILED,
                Attempt.Outcome.CONNECT_FAILED), outcomes(failures.getFirst().attempts()), "two tries of each target");
    }

    @Test
    void aClientMistakeTheProviderReportsIsRelayedNotRetried() throws Exception {
        a.answer(FakeUpstream.json(400, "{\"error\":{\"message\":\"bad field\"}}"));
        HttpResponse<String> answer = run();
        assertEquals(400, answer.statusCode());
        assertEquals(1, a.received.size());
        assertEquals(0, b.received.size());
        assertEquals(List.of(Attempt.Outcome.ANSWERED), outcomes(result().attempts()));
    }
}
