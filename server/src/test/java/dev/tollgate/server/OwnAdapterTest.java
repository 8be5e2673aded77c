package dev.tollgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.policy.PolicyLoader;
import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.server.gitops.PolicyHolder;
import dev.tollgate.server.settings.ServerSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A new provider kind is one adapter and one registration: a kind the gateway has never heard of
 * loads in a policy (its own setting checked) and serves a request, translated and not.
 */
class OwnAdapterTest {

    /** A provider that speaks chat completions at {@code /generate}, authenticated by a header of its own. */
    static final class PlainAdapter implements Adapter {
        static final ProviderKind KIND = ProviderKind.of("plain");
        static final Setting TENANT = Setting.text("tenant", "the tenant header's value");

        @Override
        public ProviderKind kind() {
            return KIND;
        }

        @Override
        public List<Setting> settings() {
            return List.of(TENANT);
        }

        @Override
        public Optional<Api> upstreamApi(Provider provider, String upstreamModel, Api client) {
            return client == Api.EMBEDDINGS ? Optional.empty() : Optional.of(Api.CHAT_COMPLETIONS);
        }

        @Override
        public UpstreamRequest request(Outbound call) {
            return new UpstreamRequest(URI.create(call.provider().baseUrl() + "/generate"),
                    Map.of("content-type", "application/json", "x-tenant", call.provider().settings().get(TENANT.name()),
                            "x-plain-key", call.secret().orElse("")),
                    call.body().with(Map.of("model", JsonBody.quote(call.model()))));
        }
    }

    @Test
    void aKindOfItsOwnLoadsAndServes() throws Exception {
        Adapters adapters = new Adapters().with(new PlainAdapter());
        Path dir = Files.createTempDirectory("tollgate-own-adapter-");
        Files.writeString(dir.resolve("key"), "plain-secret");
        try (FakeUpstream upstream = new FakeUpstream()) {
            upstream.answer(FakeUpstream.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"tiny\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"plain says hi\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":3,\"total_tokens\":6}}"));
            String policy = """
                    providers:
                      - id: mine
                        kind: plain
                        base_url: http://127.0.0.1:PORT
                        credential: file:DIR/key
                        settings: {tenant: acme}
                    """.replace("PORT", String.valueOf(upstream.port())).replace("DIR", dir.toString());
            TollgateServer gateway = TollgateServer.builder()
                    .settings(new ServerSettings("127.0.0.1", 0, "unused", dir.resolve("state"), 1 << 20, Duration.ofSeconds(5)))
                    .policy(new PolicyHolder(PolicyLoader.load(Map.of("p.yaml", policy.getBytes(StandardCharsets.UTF_8)))))
                    .adapters(adapters)
                    .start();
            try {
                HttpResponse<String> chat = post(gateway, "/v1/chat/completions",
                        "{\"model\":\"mine/tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                assertEquals(200, chat.statusCode(), chat.body());
                assertEquals("plain says hi", JsonBody.MAPPER.readTree(chat.body()).path("choices").path(0).path("message").path("content").asText());
                FakeUpstream.Received got = upstream.received.getFirst();
                assertEquals("/generate", got.path());
                assertEquals("acme", got.headers().get("x-tenant"));
                assertEquals("plain-secret", got.headers().get("x-plain-key"));
                assertEquals("tiny", JsonBody.MAPPER.readTree(got.body()).path("model").asText());

                // An Anthropic client: translated to the kind's chat completions (streamed upstream), and back.
                upstream.answer(upstream.sse(List.of(
                        "data: {\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"model\":\"tiny\",\"choices\":[{\"index\":0,"
                                + "\"delta\":{\"role\":\"assistant\",\"content\":\"plain again\"}}]}\n\n",
                        "data: {\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"model\":\"tiny\",\"choices\":[{\"index\":0,"
                                + "\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
                        "data: [DONE]\n\n"), 0));
                HttpResponse<String> messages = post(gateway, "/anthropic/v1/messages",
                        "{\"model\":\"mine/tiny\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                assertEquals(200, messages.statusCode(), messages.body());
                assertEquals("plain again", JsonBody.MAPPER.readTree(messages.body()).path("content").path(0).path("text").asText(), messages.body());
                assertEquals("/generate", upstream.received.get(1).path());
                assertEquals(true, JsonBody.MAPPER.readTree(upstream.received.get(1).body()).path("stream").asBoolean(), "translated calls stream");
            } finally {
                gateway.close();
            }
        }
    }

    private static HttpResponse<String> post(TollgateServer gateway, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
