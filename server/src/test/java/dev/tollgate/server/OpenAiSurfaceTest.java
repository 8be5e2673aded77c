package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway in-process against a scripted upstream: routing, relay and errors. */
class OpenAiSurfaceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static FakeUpstream primary;
    private static FakeUpstream backup;
    private static TollgateServer gateway;

    @BeforeAll
    static void start() throws Exception {
        primary = new FakeUpstream();
        backup = new FakeUpstream();
        String policy = """
                providers:
                  - {id: up, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                  - {id: backup, kind: openai, base_url: "http://127.0.0.1:%d/v1", credential: "env:PATH"}
                  - {id: azure, kind: azure-openai, base_url: "http://127.0.0.1:%d", credential: "env:PATH", settings: {api-version: "2025-01-01"}}
                  - {id: keyless, kind: openai, base_url: "http://127.0.0.1:9/v1", credential: "env:TOLLGATE_TEST_UNSET_VARIABLE"}
                  - {id: impatient, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1", timeouts: {first_byte_seconds: 0.3}}
                  - {id: nobody, kind: openai-compatible, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - name: fast
                    targets: [{provider: up, model: fast-upstream}]
                  - name: resilient
                    targets: [{provider: up, model: a}]
                    fallbacks: [{provider: backup, model: b}]
                  - name: nokey
                    targets: [{provider: keyless, model: x}]
                """.formatted(primary.port(), backup.port(), primary.port(), primary.port(), unusedPort());
        var snapshot = PolicyLoader.load(Map.of("policy.yaml", policy.getBytes(StandardCharsets.UTF_8)));
        gateway = TollgateServer.start(new ServerSettings("127.0.0.1", 0, "unused", Path.of("target", "test-state"), 4096, Duration.ofSeconds(5)),
                new PolicyHolder(snapshot));
    }

    private static int unusedPort() throws java.io.IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @AfterAll
    static void stop() {
        gateway.close();
        primary.close();
        backup.close();
    }

    @BeforeEach
    void reset() {
        primary.received.clear();
        backup.received.clear();
        primary.signals.clear();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("content-type", "application/json")
                .header("authorization", "Bearer client-key")
                .header("openai-beta", "responses=v1")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).path("error");
    }

    @Test
    void passesTheBodyThroughUntouchedButForTheModelName() throws Exception {
        primary.answer(FakeUpstream.json(200, "{\"id\":\"r1\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}"));
        String body = "{\"model\":\"fast\", \"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"hi\",\"id\":\"x\"}],"
                + "\"internal_chat_message_metadata_passthrough\":{\"k\":1.50},\"store\":false}";
        HttpResponse<String> response = post("/openai/responses", body);

        assertEquals(200, response.statusCode());
        assertEquals("{\"id\":\"r1\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}", response.body());
        FakeUpstream.Received got = primary.received.getFirst();
        assertEquals("/v1/responses", got.path());
        assertEquals(body.replace("\"model\":\"fast\"", "\"model\":\"fast-upstream\""), got.body());
        assertEquals("responses=v1", got.headers().get("openai-beta"));
        assertFalse(got.headers().containsKey("authorization"), "the client's key must never reach the provider");
    }

    @Test
    void servesEveryBaseUrlFormAndProviderPrefixedNames() throws Exception {
        primary.answer(FakeUpstream.json(200, "{\"object\":\"list\",\"data\":[]}"));
        for (String prefix : List.of("/v1", "/openai/v1", "/openai")) {
            assertEquals(200, post(prefix + "/embeddings", "{\"model\":\"up/emb-1\",\"input\":\"x\"}").statusCode(), prefix);
        }
        assertEquals(3, primary.received.size());
        assertTrue(primary.received.stream().allMatch(r -> r.path().equals("/v1/embeddings") && r.body().contains("\"emb-1\"")));
    }

    @Test
    void azureGetsDeploymentUrlAndApiKey() throws Exception {
        primary.answer(FakeUpstream.json(200, "{}"));
        post("/v1/chat/completions", "{\"model\":\"azure/my-deploy\",\"messages\":[]}");
        FakeUpstream.Received got = primary.received.getFirst();
        assertEquals("/openai/deployments/my-deploy/chat/completions", got.path());
        assertEquals("api-version=2025-01-01", got.query());
        assertEquals(System.getenv("PATH"), got.headers().get("api-key"));
    }

    @Test
    void streamsChatAndHidesTheUsageChunkItAskedForOnTheClientsBehalf() throws Exception {
        primary.answer(primary.sse(List.of(
                "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n",
                "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}\n\n",
                "data: [DONE]\n\n"), 0));
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("content-type").orElseThrow());
        assertTrue(primary.received.getFirst().body().contains("\"stream_options\":{\"include_usage\":true}"));
        assertFalse(response.body().contains("prompt_tokens"), response.body());
        assertTrue(response.body().startsWith("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]"));
        assertTrue(response.body().endsWith("data: [DONE]\n\n"));

        HttpResponse<String> asked = post("/v1/chat/completions",
                "{\"model\":\"fast\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}");
        assertTrue(asked.body().contains("\"prompt_tokens\":4"), "a client that asked keeps its usage chunk");
    }

    @Test
    void streamIsDecidedByTheBodyNotByAccept() throws Exception {
        primary.answer(primary.sse(List.of("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n"), 0));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/responses"))
                .header("accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fast\",\"stream\":true,\"input\":\"hi\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("text/event-stream", response.headers().firstValue("content-type").orElseThrow());
        assertTrue(response.body().startsWith("event: response.completed"));
    }

    @Test
    void fallsBackToTheNextTargetBeforeAnythingReachedTheClient() throws Exception {
        primary.answer(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        backup.answer(FakeUpstream.json(200, "{\"id\":\"from-backup\"}"));
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"resilient\",\"messages\":[]}");
        assertEquals(200, response.statusCode());
        assertEquals("{\"id\":\"from-backup\"}", response.body());
        assertTrue(backup.received.getFirst().body().contains("\"model\":\"b\""));
        assertEquals("Bearer " + System.getenv("PATH"), backup.received.getFirst().headers().get("authorization"));
    }

    @Test
    void relaysTheLastTargetsErrorWithItsRetryAfter() throws Exception {
        primary.answer((req, res) -> {
            res.status(io.helidon.http.Status.TOO_MANY_REQUESTS_429);
            res.header("retry-after", "7");
            res.send("{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
        });
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[]}");
        assertEquals(429, response.statusCode());
        assertEquals("7", response.headers().firstValue("retry-after").orElseThrow());
        assertEquals("slow down", error(response).path("message").asText());
    }

    @Test
    void aRejectedGatewayCredentialIsNotBlamedOnTheClient() throws Exception {
        primary.answer(FakeUpstream.json(401, "{\"error\":{\"message\":\"bad key\"}}"));
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[]}");
        assertEquals(502, response.statusCode());
        assertTrue(error(response).path("message").asText().contains("refused the gateway's credential"));
    }

    @Test
    void clientMistakesGetOpenAiErrorsThatSayWhatToDo() throws Exception {
        HttpResponse<String> malformed = post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[}");
        assertEquals(400, malformed.statusCode());
        assertEquals("invalid_request_error", error(malformed).path("type").asText());
        assertTrue(error(malformed).path("message").asText().contains("not valid JSON"));

        HttpResponse<String> noModel = post("/v1/chat/completions", "{\"messages\":[]}");
        assertEquals(400, noModel.statusCode());
        assertEquals("model", error(noModel).path("param").asText());

        HttpResponse<String> wrongType = post("/v1/chat/completions", "{\"model\":\"fast\",\"stream\":\"yes\",\"messages\":[]}");
        assertEquals(400, wrongType.statusCode());
        assertEquals("stream", error(wrongType).path("param").asText());

        HttpResponse<String> noMessages = post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":{}}");
        assertEquals("messages", error(noMessages).path("param").asText());

        HttpResponse<String> unknown = post("/v1/chat/completions", "{\"model\":\"fsat\",\"messages\":[]}");
        assertEquals(404, unknown.statusCode());
        assertEquals("model_not_found", error(unknown).path("code").asText());
        assertTrue(error(unknown).path("message").asText().contains("Did you mean: fast"));

        HttpResponse<String> tooLarge = post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[\"" + "x".repeat(5000) + "\"]}");
        assertEquals(413, tooLarge.statusCode());
        assertEquals("request_too_large", error(tooLarge).path("code").asText());

        HttpResponse<String> path = post("/v1/completion", "{}");
        assertEquals(404, path.statusCode());
        assertEquals("unknown_url", error(path).path("code").asText());
        assertTrue(primary.received.isEmpty(), "nothing invalid reaches the provider");
    }

    @Test
    void anUnreachableOrUnconfiguredProviderIsExplained() throws Exception {
        HttpResponse<String> noKey = post("/v1/chat/completions", "{\"model\":\"nokey\",\"messages\":[]}");
        assertEquals(503, noKey.statusCode());
        assertTrue(error(noKey).path("message").asText().contains("env:TOLLGATE_TEST_UNSET_VARIABLE"));
        assertFalse(noKey.body().contains("at dev.tollgate"), "never a stack trace");
    }

    @Test
    void aSilentUpstreamTimesOutWith504AndADeadOneGives502() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        primary.answer((req, res) -> {
            try {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS); // holds the answer past the 0.3 s first-byte timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            res.send("{}");
        });
        try {
            HttpResponse<String> slow = post("/v1/chat/completions", "{\"model\":\"impatient/m\",\"messages\":[]}");
            assertEquals(504, slow.statusCode());
            assertEquals("upstream_timeout", error(slow).path("code").asText());
        } finally {
            release.countDown();
        }
        HttpResponse<String> dead = post("/v1/chat/completions", "{\"model\":\"nobody/m\",\"messages\":[]}");
        assertEquals(502, dead.statusCode());
        assertTrue(error(dead).path("message").asText().contains("could not be reached"), dead.body());
    }

    @Test
    void aBrokenStreamEndsWithAnErrorEventInTheClientsDialect() throws Exception {
        primary.answer((req, res) -> {
            res.header("content-type", "text/event-stream");
            try {
                var out = res.outputStream();
                out.write("event: response.created\ndata: {\"type\":\"response.created\"}\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            // Headers and one event are out: failing now makes the server drop the connection mid-stream.
            throw new io.helidon.webserver.CloseConnectionException("upstream dies mid-stream");
        });
        HttpResponse<String> response = post("/v1/responses", "{\"model\":\"fast\",\"stream\":true,\"input\":\"hi\"}");
        assertTrue(response.body().startsWith("event: response.created"), response.body());
        assertTrue(response.body().contains("event: response.failed"), response.body());
    }

    @Test
    void aClientThatHangsUpCancelsTheUpstreamStream() throws Exception {
        List<String> endless = java.util.Collections.nCopies(10_000, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
        primary.answer(primary.sse(endless, 5));
        String body = "{\"model\":\"fast\",\"stream\":true,\"messages\":[]}";
        try (java.net.Socket client = new java.net.Socket("127.0.0.1", gateway.port())) {
            client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            InputStream in = client.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("data: ")) {
                int b = in.read();
                assertTrue(b >= 0, "the stream started: " + seen);
                seen.append((char) b);
            }
        }
        assertEquals("stream-aborted", primary.nextSignal(20), "the upstream must see the gateway hang up");
    }

    @Test
    void codexWebSocketAttemptIsToldToUseHttp() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/openai/responses"))
                .header("openai-beta", "responses_websockets=2026-02-06").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(426, response.statusCode());
    }

    @Test
    void listsTheCatalog() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode data = JSON.readTree(response.body()).path("data");
        assertEquals(List.of("fast", "resilient", "nokey"), List.of(data.get(0).path("id").asText(), data.get(1).path("id").asText(), data.get(2).path("id").asText()));
        assertEquals(3, data.size());
    }
}
