package dev.tollgate.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.providers.anthropic.AnthropicAdapter;
import dev.tollgate.providers.azure.AzureOpenAiAdapter;
import dev.tollgate.providers.bedrock.BedrockAdapter;
import dev.tollgate.providers.gemini.GeminiAdapter;
import dev.tollgate.providers.openai.OpenAiAdapter;
import dev.tollgate.providers.compatible.OpenAiCompatibleAdapter;
import dev.tollgate.providers.vertex.VertexAdapter;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.anthropic.AnthropicNative;
import dev.tollgate.providers.bedrock.BedrockNative;
import dev.tollgate.providers.gemini.GeminiNative;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.openai.OpenAiFamily;
import dev.tollgate.providers.upstream.PathSegment;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.vertex.VertexNative;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model name is data: whatever it holds, every provider kind puts it into exactly one path segment
 * (or the JSON body) and the upstream URL keeps its own path and query. The surface refuses such
 * names from clients; these are the second line, and what a policy's own odd names rely on.
 */
class HostileModelNamesTest {

    /** An adapter's request for a passthrough call; {@code askForUsage} makes it a chat stream whose client did not ask for usage. */
    private static UpstreamRequest request(Adapter adapter, Provider provider, Optional<String> secret, Api api, String model, JsonBody body,
                                           boolean askForUsage, Map<String, String> pass) {
        try {
            return adapter.request(new Outbound(provider, "env:TEST_KEY", secret, model, api, askForUsage, body, true, pass));
        } catch (AdapterException e) {
            throw new AssertionError(e);
        }
    }

    private static final String BASE = "http://127.0.0.1:1";

    private static Provider provider(ProviderKind kind, String base, Map<String, String> settings) {
        return new Provider("p", kind, URI.create(base), List.of(), Map.of(), settings, Provider.Timeouts.DEFAULT);
    }

    private static JsonBody body() throws Exception {
        return JsonBody.parse("{\"model\":\"client-name\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8));
    }

    /** The one segment between {@code before} and {@code after} in the raw path, decoded, is the name. */
    private static void assertOneSegment(String name, UpstreamRequest r, String before, String after) {
        String path = r.uri().getRawPath();
        assertEquals(before, path.substring(0, before.length()), path);
        assertEquals(after, path.substring(path.length() - after.length()), path);
        String segment = path.substring(before.length(), path.length() - after.length());
        assertEquals(-1, segment.indexOf('/'), path);
        assertEquals(name, URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
    }

    @Test
    void theIssuesNamesOnEachKindGiveTheExactUrl() throws Exception {
        String traversal = "cheap/../priced";
        assertEquals(BASE + "/v1beta/models/cheap%2F..%2Fpriced:generateContent",
                GeminiNative.prepare(provider(GeminiAdapter.KIND, BASE + "/v1beta", Map.of()), Optional.of("k"), traversal, "generateContent", new byte[0])
                        .uri().toString());
        assertEquals(BASE + "/v1beta/models/..%2F..%2Fv1%2Fchat%2Fcompletions%3Fx%3D:streamGenerateContent?alt=sse",
                GeminiNative.prepare(provider(GeminiAdapter.KIND, BASE + "/v1beta", Map.of()), Optional.of("k"), "../../v1/chat/completions?x=",
                        "streamGenerateContent", new byte[0]).uri().toString());
        assertEquals(BASE + "/v1beta/models/x%3Fkey%3Dstolen:countTokens",
                GeminiNative.prepare(provider(GeminiAdapter.KIND, BASE + "/v1beta", Map.of()), Optional.of("k"), "x?key=stolen", "countTokens", new byte[0])
                        .uri().toString());
        assertEquals(BASE + "/v1beta/models/cheap%252F..%252Fpriced:generateContent",
                GeminiNative.prepare(provider(GeminiAdapter.KIND, BASE + "/v1beta", Map.of()), Optional.of("k"), "cheap%2F..%2Fpriced", "generateContent",
                        new byte[0]).uri().toString());
        assertEquals(BASE + "/v1/projects/acme/locations/us-east5/publishers/google/models/cheap%2F..%2Fpriced:streamGenerateContent?alt=sse",
                VertexNative.gemini(vertex(), "tok", traversal, true, new byte[0]).uri().toString());
        assertEquals(BASE + "/v1/projects/acme/locations/us-east5/publishers/anthropic/models/claude%23x%3Fy:rawPredict",
                VertexNative.claude(vertex(), "tok", "claude#x?y", false, body(), Map.of()).uri().toString());
        assertEquals(BASE + "/openai/deployments/cheap%2F..%2Fpriced/chat/completions?api-version=2024-10-21",
                request(new AzureOpenAiAdapter(), provider(AzureOpenAiAdapter.KIND, BASE, Map.of()), Optional.of("k"), Api.CHAT_COMPLETIONS, traversal, body(), false, Map.of())
                        .uri().toString());
        assertEquals(BASE + "/openai/deployments/x%3Fapi-version%3D1999/embeddings?api-version=2024-10-21",
                request(new AzureOpenAiAdapter(), provider(AzureOpenAiAdapter.KIND, BASE, Map.of()), Optional.of("k"), Api.EMBEDDINGS, "x?api-version=1999", body(), false, Map.of())
                        .uri().toString());
        assertEquals(BASE + "/model/cheap%2F..%2Fpriced/converse-stream", BedrockNative.prepare(bedrock(), awsKey(), traversal, new byte[0]).uri().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cheap/../priced", "../../v1/chat/completions?x=", "x?key=stolen", "x#frag", "a%2Fb", "with space", "cr\r\nlf: injected",
            "nul\u0000", "pipe|", "{braces}", "back\\slash", "..", ".", "", "ünï", "a;b=c", "a+b", "a&b"})
    void everyKindKeepsAHostileNameInOneSegment(String name) throws Exception {
        UpstreamRequest gemini = GeminiNative.prepare(provider(GeminiAdapter.KIND, BASE + "/v1beta", Map.of()), Optional.of("k"), name, "generateContent", new byte[0]);
        assertOneSegment(name, gemini, "/v1beta/models/", ":generateContent");
        assertNull(gemini.uri().getRawQuery());
        assertNull(gemini.uri().getRawFragment());

        UpstreamRequest vertex = VertexNative.gemini(vertex(), "tok", name, true, new byte[0]);
        assertOneSegment(name, vertex, "/v1/projects/acme/locations/us-east5/publishers/google/models/", ":streamGenerateContent");
        assertEquals("alt=sse", vertex.uri().getRawQuery());
        UpstreamRequest vertexClaude = VertexNative.claude(vertex(), "tok", name, false, body(), Map.of());
        assertOneSegment(name, vertexClaude, "/v1/projects/acme/locations/us-east5/publishers/anthropic/models/", ":rawPredict");

        UpstreamRequest azure = request(new AzureOpenAiAdapter(), provider(AzureOpenAiAdapter.KIND, BASE, Map.of()), Optional.of("k"), Api.CHAT_COMPLETIONS, name, body(),
                false, Map.of());
        assertOneSegment(name, azure, "/openai/deployments/", "/chat/completions");
        assertEquals("api-version=2024-10-21", azure.uri().getRawQuery());
        assertNull(azure.uri().getRawFragment());
        assertEquals(name, JsonBody.MAPPER.readTree(azure.body()).get("model").asText());

        UpstreamRequest bedrock = BedrockNative.prepare(bedrock(), awsKey(), name, new byte[0]);
        assertOneSegment(name, bedrock, "/model/", "/converse-stream");
        assertNull(bedrock.uri().getRawQuery());

        // Kinds with the model in the body: the URL is the base's, the name a JSON string.
        for (Adapter adapter : List.<Adapter>of(new OpenAiAdapter(), new OpenAiCompatibleAdapter())) {
            UpstreamRequest r = request(adapter, provider(adapter.kind(), BASE + "/v1", Map.of()), Optional.of("k"), Api.CHAT_COMPLETIONS, name, body(), false, Map.of());
            assertEquals(URI.create(BASE + "/v1/chat/completions"), r.uri());
            assertModelInBody(name, r.body());
        }
        UpstreamRequest anthropic = AnthropicNative.prepare(provider(AnthropicAdapter.KIND, BASE + "/v1", Map.of()), Optional.of("k"), "messages", name, body(),
                Map.of());
        assertEquals(URI.create(BASE + "/v1/messages"), anthropic.uri());
        assertModelInBody(name, anthropic.body());
    }

    @Test
    void realProviderIdsKeepTheirUsualShape() {
        assertEquals("claude-sonnet-4-5@20250929", PathSegment.encode("claude-sonnet-4-5@20250929"));
        assertEquals("gpt-5.5", PathSegment.encode("gpt-5.5"));
        assertEquals("anthropic.claude-3-5-sonnet-20240620-v1%3A0", PathSegment.encode("anthropic.claude-3-5-sonnet-20240620-v1:0"));
        assertEquals("meta-llama%2FLlama-3.3-70B-Instruct-Turbo", PathSegment.encode("meta-llama/Llama-3.3-70B-Instruct-Turbo"));
        assertEquals("%C3%BC", PathSegment.encode("ü"));
        assertEquals("%2E%2E", PathSegment.encode(".."));
    }

    private static void assertModelInBody(String name, byte[] body) throws Exception {
        JsonNode model = JsonBody.MAPPER.readTree(body).get("model");
        assertEquals(name, model.asText());
    }

    private static Provider vertex() {
        return provider(VertexAdapter.KIND, BASE, Map.of(VertexAdapter.PROJECT.name(), "acme", VertexAdapter.LOCATION.name(), "us-east5"));
    }

    private static Provider bedrock() {
        return provider(BedrockAdapter.KIND, BASE, Map.of(BedrockAdapter.REGION.name(), "us-east-1"));
    }

    private static BedrockNative.AwsKey awsKey() {
        return new BedrockNative.AwsKey("TGTEST" + "KEYID0000000", "test-secret-" + Long.toHexString(System.nanoTime()), null);
    }
}
