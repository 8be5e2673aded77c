package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Secrets;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import dev.tollgate.server.surface.openai.socket.ResponsesSocket;
import dev.tollgate.server.telemetry.RequestLog;
import dev.tollgate.server.telemetry.Telemetry;
import dev.tollgate.server.telemetry.TelemetrySettings;
import dev.tollgate.server.trace.RequestRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Responses WebSocket with a plain Java client against a real gateway and a scripted upstream:
 * each response.create is governed like a POST, chained responses reach the upstream whole, and bad
 * input gets the transport's error event or close code, never a second charge.
 */
class ResponsesSocketTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = """
            providers:
              - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
            models:
              - {name: gpt-5.5, targets: [{provider: up, model: up-model}]}
            pricing:
              - {model: gpt-5.5, input: 1000, output: 1000}
            customers:
              - {id: acme}
            teams:
              - {id: dev, customer: acme}
            keys:
              - {id: alice, team: dev, sha256: %s, budgets: [{amount_usd: 1000, period: daily}]}
              %s
            """;

    private static FakeUpstream upstream;
    private static TollgateServer gateway;
    private static PolicyHolder policy;
    private static Path state;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty(ResponsesSocket.IDLE_PROPERTY, "1.5");
        upstream = new FakeUpstream();
        state = Files.createTempDirectory("tollgate-socket-");
        policy = new PolicyHolder(policy(""));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", state, 1 << 20, Duration.ofSeconds(5)),
                policy, null, Telemetry.create(TelemetrySettings.defaults(), state));
        System.clearProperty(ResponsesSocket.IDLE_PROPERTY);
    }

    private static PolicySnapshot policy(String moreKeys) throws Exception {
        String text = POLICY.formatted(upstream.port(), Secrets.sha256("k-alice"), moreKeys);
        return PolicyLoader.load(Map.of("policy.yaml", text.getBytes(StandardCharsets.UTF_8)));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.received.clear();
        upstream.answer(upstream.sse(answer("resp_up1", "hi"), 0));
    }

    /** A Responses stream as OpenAI sends it: created, the message item done, completed with usage. */
    private static List<String> answer(String id, String text) {
        String item = "{\"type\":\"message\",\"id\":\"msg_" + id + "\",\"role\":\"assistant\",\"status\":\"completed\","
                + "\"content\":[{\"type\":\"output_text\",\"text\":\"" + text + "\",\"annotations\":[]}]}";
        return List.of(
                "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\",\"output\":[]}}\n\n",
                "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":" + item + "}\n\n",
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"" + id + "\",\"status\":\"completed\","
                        + "\"output\":[" + item + "],\"usage\":{\"input_tokens\":10,\"output_tokens\":2,\"total_tokens\":12}}}\n\n");
    }

    /** A WebSocket client that queues what it receives. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        WebSocket socket;

        static Client connect(String path, String key) {
            return connect(gateway.port(), path, key);
        }

        static Client connect(int port, String path, String key) {
            Client client = new Client();
            WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
            if (key != null) {
                b.header("authorization", "Bearer " + key);
            }
            b.header("openai-beta", "responses_websockets=2026-02-06");
            client.socket = b.buildAsync(URI.create("ws://127.0.0.1:" + port + path), client).join();
            return client;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    events.add(JSON.readTree(text.toString()));
                } catch (Exception e) {
                    events.add(JSON.createObjectNode().put("type", "unparsable").put("text", text.toString()));
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }

        void send(String frame) {
            socket.sendText(frame, true).join();
        }

        JsonNode next() throws InterruptedException {
            JsonNode e = events.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "no event within 10 s");
            return e;
        }

        /** Events up to and including the next terminal one (completed, failed, error). */
        List<JsonNode> response() throws InterruptedException {
            List<JsonNode> out = new java.util.ArrayList<>();
            while (true) {
                JsonNode e = next();
                out.add(e);
                String type = e.path("type").asText();
                if (type.equals("response.completed") || type.equals("response.failed") || type.equals("error")) {
                    return out;
                }
            }
        }
    }

    private static String create(String input, String previous) {
        return "{\"type\":\"response.create\",\"model\":\"gpt-5.5\",\"store\":false,\"input\":[{\"type\":\"message\",\"role\":\"user\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"" + input + "\"}]}]"
                + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"") + "}";
    }

    private static JsonNode upstreamBody(int i) throws Exception {
        return JSON.readTree(upstream.received.get(i).body());
    }

    @Test
    void aResponseCreateIsServedLikeAPostAndLogged() throws Exception {
        Client client = Client.connect("/openai/responses", "k-alice");
        client.send(create("hello", null));
        List<JsonNode> events = client.response();
        assertEquals("response.completed", events.getLast().path("type").asText(), events.toString());
        assertEquals("response.created", events.getFirst().path("type").asText(), "each SSE event is one text frame: " + events);

        assertEquals(1, upstream.received.size());
        assertEquals("/v1/responses", upstream.received.getFirst().path());
        JsonNode body = upstreamBody(0);
        assertTrue(body.path("stream").asBoolean(), "the socket always streams");
        assertEquals("up-model", body.path("model").asText());
        assertFalse(body.has("type"), "the frame's type is the transport's, not the API's: " + body);
        assertFalse(String.valueOf(upstream.received.getFirst().headers()).contains("k-alice"), "the client's key never reaches the provider");
        assertFalse(upstream.received.getFirst().headers().containsKey("x-tollgate-socket"));

        RequestRecord record = logged(1).getFirst();
        assertEquals("openai-websocket", record.surface());
        assertEquals("alice", record.keyId());
        assertEquals(200, record.status());
        assertEquals(10, record.inputTokens());
        assertTrue(record.costUsd().signum() > 0, "settled like any request: " + record);
        client.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    /** Codex sends each turn's metadata in the frame's client_metadata (its HTTP transport sends it as headers). */
    @Test
    void eachResponseCarriesItsOwnTurnMetadata() throws Exception {
        Client client = Client.connect("/v1/responses", "k-alice");
        for (String turn : List.of("turn-1", "turn-2")) {
            com.fasterxml.jackson.databind.node.ObjectNode frame = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(create("hi", null));
            frame.putObject("client_metadata").put("x-codex-turn-metadata", "{\"turn_id\":\"" + turn + "\"}")
                    .put("x-codex-window-id", "w:" + turn).put("x-codex-bad", "a\nb").put("turn_id", turn);
            client.send(frame.toString());
            assertEquals("response.completed", client.response().getLast().path("type").asText());
        }
        assertEquals(2, upstream.received.size());
        for (int i = 0; i < 2; i++) {
            Map<String, String> headers = upstream.received.get(i).headers();
            assertEquals("{\"turn_id\":\"turn-" + (i + 1) + "\"}", headers.get("x-codex-turn-metadata"), "the turn's own metadata: " + headers);
            assertEquals("w:turn-" + (i + 1), headers.get("x-codex-window-id"));
            assertFalse(headers.containsKey("x-codex-bad"), "a value that cannot be a header is left out");
            assertTrue(upstreamBody(i).has("client_metadata"), "the body goes on as sent");
        }
        client.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    @Test
    void previousResponseIdSendsTheWholeHistoryUpstream() throws Exception {
        Client client = Client.connect("/v1/responses", "k-alice");
        client.send(create("first", null));
        assertEquals("response.completed", client.response().getLast().path("type").asText());
        upstream.answer(upstream.sse(answer("resp_up2", "second answer"), 0));
        client.send(create("second", "resp_up1"));
        List<JsonNode> events = client.response();
        assertEquals("response.completed", events.getLast().path("type").asText(), events.toString());

        JsonNode second = upstreamBody(1);
        assertFalse(second.has("previous_response_id"), "the upstream keeps nothing (store:false): it gets the history instead");
        JsonNode input = second.path("input");
        assertEquals(3, input.size(), input.toString());
        assertEquals("first", input.get(0).path("content").get(0).path("text").asText());
        assertEquals("msg_resp_up1", input.get(1).path("id").asText(), "the first answer's output item, as it came");
        assertEquals("second", input.get(2).path("content").get(0).path("text").asText());
    }

    @Test
    void preWarmAnswersWithoutAnUpstreamCallAndChains() throws Exception {
        Client client = Client.connect("/openai/v1/responses", "k-alice");
        client.send(create("warm", null).replace("\"store\":false", "\"store\":false,\"generate\":false"));
        List<JsonNode> warm = client.response();
        assertEquals(List.of("response.created", "response.completed"), warm.stream().map(e -> e.path("type").asText()).toList());
        String warmId = warm.getLast().path("response").path("id").asText();
        assertTrue(warmId.startsWith("resp_"));
        assertEquals(0, warm.getLast().path("response").path("usage").path("input_tokens").asInt());
        assertTrue(upstream.received.isEmpty(), "nothing generated, nothing sent");

        client.send(create("now", warmId));
        assertEquals("response.completed", client.response().getLast().path("type").asText());
        JsonNode input = upstreamBody(0).path("input");
        assertEquals(2, input.size(), input.toString());
        assertEquals("warm", input.get(0).path("content").get(0).path("text").asText());
        assertFalse(upstreamBody(0).has("generate"));
    }

    @Test
    void noKeyAtUpgradeGetsA401ErrorEventAndClose1008() throws Exception {
        for (String key : new String[]{null, "k-nobody"}) {
            Client client = Client.connect("/v1/responses", key);
            JsonNode error = client.next();
            assertEquals("error", error.path("type").asText());
            assertEquals(401, error.path("status").asInt());
            assertEquals(key == null ? "missing_api_key" : "invalid_api_key", error.path("error").path("code").asText(), error.toString());
            assertFalse(error.toString().contains("k-nobody"), "the key is never echoed");
            assertEquals(1008, client.closed.get(10, TimeUnit.SECONDS));
        }
        assertTrue(upstream.received.isEmpty());
    }

    @Test
    void malformedFramesGetAnErrorEventAndTheConnectionGoesOn() throws Exception {
        Client client = Client.connect("/v1/responses", "k-alice");
        client.send("{not json");
        JsonNode error = client.next();
        assertEquals("error", error.path("type").asText());
        assertEquals(400, error.path("status").asInt());
        assertTrue(error.path("error").path("message").asText().contains("not JSON"), error.toString());
        client.send("{\"type\":\"session.update\"}");
        assertTrue(client.next().path("error").path("message").asText().contains("Unknown frame type 'session.update'"));
        client.send("{\"type\":\"response.create\",\"model\":\"gpt-5.5\",\"input\":42}");
        assertEquals("input", client.next().path("error").path("param").asText());
        client.send("{\"type\":\"response.create\",\"model\":\"../etc\",\"input\":\"hi\"}");
        JsonNode badModel = client.response().getLast();
        assertEquals(400, badModel.path("status").asInt(), badModel.toString());
        assertTrue(upstream.received.isEmpty(), "nothing malformed went upstream");

        client.send(create("fine", null));
        assertEquals("response.completed", client.response().getLast().path("type").asText());
    }

    @Test
    void aSecondCreateWhileOneIsInFlightIsRefusedAndNotCharged() throws Exception {
        upstream.answer(upstream.sse(answer("resp_slow", "slow"), 300));
        Client client = Client.connect("/v1/responses", "k-alice");
        client.send(create("one", null));
        assertEquals("response.created", client.next().path("type").asText(), "the first response is under way");
        client.send(create("two", null));
        JsonNode refused = null;
        JsonNode completed = null;
        while (completed == null) {
            JsonNode e = client.next();
            if (e.path("type").asText().equals("error")) {
                refused = e;
            } else if (e.path("type").asText().equals("response.completed")) {
                completed = e;
            }
        }
        assertNotNull(refused);
        assertEquals("conversation_already_has_active_response", refused.path("error").path("code").asText());
        assertEquals(1, upstream.received.size(), "the refused frame never went upstream");
        assertEquals(1, logged(1).size(), "one request, one charge");
    }

    @Test
    void anOversizedFrameClosesWith1009AndSendsNothing() throws Exception {
        Client client = Client.connect("/v1/responses", "k-alice");
        String big = "x".repeat((1 << 20) + 10);
        client.socket.sendText(create(big, null), true);
        int code = client.closed.get(10, TimeUnit.SECONDS);
        assertEquals(1009, code);
        assertTrue(upstream.received.isEmpty());
    }

    @Test
    void aRevokedKeyStopsTheNextResponseOnAnOpenConnection() throws Exception {
        Client client = Client.connect("/v1/responses", "k-alice");
        client.send(create("before", null));
        assertEquals("response.completed", client.response().getLast().path("type").asText());
        swap(policy(""), true);
        try {
            client.send(create("after", "resp_up1"));
            JsonNode error = client.response().getLast();
            assertEquals("error", error.path("type").asText(), error.toString());
            assertEquals(401, error.path("status").asInt());
            assertEquals("revoked_api_key", error.path("error").path("code").asText());
            assertEquals(1, upstream.received.size());
        } finally {
            swap(policy(""), false);
        }
    }

    @Test
    void anIdleConnectionIsClosedWithGoingAway() throws Exception {
        Client client = Client.connect("/v1/responses", "k-alice");
        int code = client.closed.get(10, TimeUnit.SECONDS);
        assertEquals(1001, code);
    }

    /** Shutdown: an idle socket closes at once with 1001; a busy one gets its whole response first, then 1001. */
    @Test
    void shutdownClosesIdleSocketsAndLetsABusyOneFinishItsResponse() throws Exception {
        upstream.answer(upstream.sse(answer("resp_last", "last"), 300));
        Path own = Files.createTempDirectory("tollgate-socket-drain-");
        TollgateServer closing = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", own, 1 << 20, Duration.ofSeconds(10)),
                policy, null, Telemetry.create(TelemetrySettings.defaults(), own));
        Client idle = Client.connect(closing.port(), "/v1/responses", "k-alice");
        Client busy = Client.connect(closing.port(), "/v1/responses", "k-alice");
        busy.send(create("finish me", null));
        assertEquals("response.created", busy.next().path("type").asText(), "the response is under way");
        Thread shutdown = Thread.ofVirtual().start(closing::close);
        assertEquals(1001, idle.closed.get(10, TimeUnit.SECONDS), "the idle socket goes away at once");
        assertFalse(busy.closed.isDone(), "the busy socket is not closed under its response");
        List<JsonNode> rest = busy.response();
        assertEquals("response.completed", rest.getLast().path("type").asText(), "the response in flight finished: " + rest);
        assertEquals(1001, busy.closed.get(10, TimeUnit.SECONDS), "then it goes away too");
        shutdown.join();
    }

    /** Swaps in the policy with alice revoked (or not), as the watcher would. */
    private static void swap(PolicySnapshot base, boolean revoked) throws Exception {
        String text = POLICY.formatted(upstream.port(), Secrets.sha256("k-alice"), "").replace("budgets:", revoked ? "revoked: true, budgets:" : "budgets:");
        PolicySnapshot next = PolicyLoader.load(Map.of("policy.yaml", text.getBytes(StandardCharsets.UTF_8)));
        var swap = PolicyHolder.class.getDeclaredMethod("swap", PolicySnapshot.class);
        swap.setAccessible(true);
        swap.invoke(policy, next);
    }

    /** The request log's records since this test began, once there are at least {@code n}. */
    private List<RequestRecord> logged(int n) throws Exception {
        RequestLog log = gateway.telemetry().log();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            // The log is written off the request's path; wait for it, bounded.
            List<RequestRecord> records = log.search(new RequestLog.Query(null, null, null, null, started, null, 50));
            if (records.size() >= n || System.nanoTime() > deadline) {
                return records;
            }
            Thread.sleep(20);
        }
    }

    private final Instant started = Instant.now();
}
