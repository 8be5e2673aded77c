package dev.tollgate.providers.vertex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VertexNativeTest {

    private static Provider vertex(String location, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(VertexAdapter.PROJECT.name(), "acme-ai", VertexAdapter.LOCATION.name(), location));
        settings.putAll(extra);
        return new Provider("vertex", VertexAdapter.KIND, VertexAdapter.defaultBaseUrl(location), List.of(), Map.of(), settings, Provider.Timeouts.DEFAULT);
    }

    @Test
    void buildsEachPublishersUrlOnTheRegionalOrGlobalEndpoint() {
        assertEquals(URI.create("https://us-east5-aiplatform.googleapis.com/v1/projects/acme-ai/locations/us-east5/publishers/anthropic/models/"
                        + "claude-sonnet-4-5@20250929:streamRawPredict"),
                VertexNative.uri(vertex("us-east5", Map.of()), VertexAdapter.Publisher.ANTHROPIC, "claude-sonnet-4-5@20250929", "streamRawPredict"));
        assertEquals(URI.create("https://aiplatform.googleapis.com/v1/projects/acme-ai/locations/global/publishers/google/models/"
                        + "gemini-2.5-pro:streamGenerateContent?alt=sse"),
                VertexNative.gemini(vertex("global", Map.of()), "tok", "gemini-2.5-pro", true, new byte[0]).uri());
        assertEquals(URI.create("https://europe-west1-aiplatform.googleapis.com/v1/projects/acme-ai/locations/europe-west1/publishers/google/models/"
                        + "gemini-2.5-flash:generateContent"),
                VertexNative.gemini(vertex("europe-west1", Map.of()), "tok", "gemini-2.5-flash", false, new byte[0]).uri());
    }

    @Test
    void aClaudeBodyLosesItsModelAndGainsVertexsVersionAndNothingElseChanges() throws Exception {
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64000,\"stream\":true,\n"
                + " \"messages\":[{\"role\":\"user\",\"content\":\"hé\"}], \"x_unknown\":{\"keep\":[1,2.50]}}";
        UpstreamRequest request = VertexNative.claude(vertex("us-east5", Map.of()), "test-access-token", "claude-sonnet-4-5", true,
                JsonBody.parse(body.getBytes(StandardCharsets.UTF_8)),
                Map.of("anthropic-beta", "interleaved-thinking-2025-05-14", "anthropic-version", "2023-06-01"));
        assertEquals("{\"max_tokens\":64000,\"stream\":true,\n"
                        + " \"messages\":[{\"role\":\"user\",\"content\":\"hé\"}], \"x_unknown\":{\"keep\":[1,2.50]},\"anthropic_version\":\"vertex-2023-10-16\"}",
                new String(request.body(), StandardCharsets.UTF_8));
        assertEquals("Bearer test-access-token", request.headers().get("authorization"));
        assertEquals("interleaved-thinking-2025-05-14", request.headers().get("anthropic-beta"));
        assertFalse(request.headers().containsKey("anthropic-version"), "the version travels in the body on Vertex");
        assertFalse(request.headers().containsKey("x-api-key"));
        assertEquals("streamRawPredict", request.uri().getPath().substring(request.uri().getPath().lastIndexOf(':') + 1));
    }

    @Test
    void aGeminiBodyGoesUpByteForByte() {
        byte[] body = "{ \"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}], \"odd\" : 1 }".getBytes(StandardCharsets.UTF_8);
        UpstreamRequest request = VertexNative.gemini(vertex("us-central1", Map.of()), "test-access-token", "gemini-2.5-pro", true, body);
        assertArrayEquals(body, request.body());
        assertEquals("Bearer test-access-token", request.headers().get("authorization"));
        assertFalse(request.headers().containsKey("x-goog-api-key"));
    }

    @Test
    void thePublisherFollowsTheModelNameUnlessTheProviderPinsIt() {
        Provider inferred = vertex("us-east5", Map.of());
        assertEquals(Optional.of(Api.MESSAGES), new VertexAdapter(java.time.Clock.systemUTC()).upstreamApi(inferred, "claude-opus-4-1@20250805", Api.GEMINI));
        assertEquals(Optional.of(Api.GEMINI), new VertexAdapter(java.time.Clock.systemUTC()).upstreamApi(inferred, "gemini-2.5-pro", Api.MESSAGES));
        assertEquals(Optional.empty(), new VertexAdapter(java.time.Clock.systemUTC()).upstreamApi(inferred, "gemini-2.5-pro", Api.EMBEDDINGS));
        Provider pinned = vertex("us-east5", Map.of(VertexAdapter.PUBLISHER.name(), "anthropic"));
        assertEquals(Optional.of(Api.MESSAGES), new VertexAdapter(java.time.Clock.systemUTC()).upstreamApi(pinned, "my-tuned-sonnet", Api.RESPONSES));
    }
}
