package dev.tollgate.providers.openai;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.usage.UsageTap;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * What every provider speaking OpenAI's wire format shares (OpenAI, Azure OpenAI, OpenAI-compatible
 * servers): the client's body goes up as it came but for the model name and, on a chat stream whose
 * client did not ask for it, a request for the usage chunk the gateway needs to price the call.
 * Each kind's adapter says where the request goes and how it authenticates.
 */
public final class OpenAiFamily {

    /** {@code settings.api}: the chat APIs the server speaks, one or both. */
    public static final Setting API = Setting.choices("api",
            "the chat APIs the server speaks: chat, responses, or a list of both (the default depends on the kind and base URL)",
            "responses", "chat");

    /** Kinds with OpenAI's own compaction endpoint; on others (compatible servers) the gateway compacts through their chat API. */
    public static boolean compacts(Provider provider) {
        return java.util.Set.of("openai", "azure-openai").contains(provider.kind().id());
    }

    private static final byte[] INCLUDE_USAGE = "{\"include_usage\":true}".getBytes(StandardCharsets.US_ASCII);

    private OpenAiFamily() {
    }

    /** What {@code settings.api} declares, or {@code otherwise} when it is not set. */
    public static Set<Api> speaks(Provider provider, Set<Api> otherwise) {
        String declared = provider.settings().get(API.name());
        if (declared == null) {
            return otherwise;
        }
        Set<Api> apis = EnumSet.noneOf(Api.class);
        for (String api : Setting.listed(declared)) {
            apis.add(api.equals("chat") ? Api.CHAT_COMPLETIONS : Api.RESPONSES);
        }
        return apis.isEmpty() ? otherwise : apis;
    }

    /**
     * The API an OpenAI-format provider that speaks {@code apis} is called with: embeddings as
     * embeddings; an OpenAI client in its own API when the server speaks it, else in the other;
     * other clients in {@code preferred} when the server speaks it. A compaction goes to the server's
     * own endpoint when it {@code compacts} (OpenAI, Azure), else the gateway compacts through its chat API.
     */
    public static Optional<Api> upstreamApi(Set<Api> apis, Api client, Api preferred, boolean compacts) {
        if (client == Api.EMBEDDINGS) {
            return Optional.of(Api.EMBEDDINGS);
        }
        if (client == Api.RESPONSES_COMPACT && compacts && apis.contains(Api.RESPONSES)) {
            return Optional.of(Api.RESPONSES_COMPACT);
        }
        if (apis.contains(client)) {
            return Optional.of(client);
        }
        if (apis.contains(preferred)) {
            return Optional.of(preferred);
        }
        return apis.stream().findFirst();
    }

    /** The settings every OpenAI-format kind takes. */
    public static final java.util.List<Setting> SETTINGS = dev.tollgate.providers.CommonSettings.with(API);

    /** The request to {@code base_url/<api path>} with {@code Authorization: Bearer}: OpenAI's and the compatible servers'. */
    public static UpstreamRequest bearerRequest(Outbound call) {
        return request(call, UpstreamRequest.uri(call.provider().baseUrl() + "/" + call.api().path()),
                call.secret().map(s -> Map.entry("authorization", "Bearer " + s)));
    }

    /** The request to {@code uri}, with {@code auth} (header name to value) when the credential resolved. */
    public static UpstreamRequest request(Outbound call, URI uri, Optional<Map.Entry<String, String>> auth) {
        Map<String, byte[]> edits = new HashMap<>(2);
        edits.put("model", JsonBody.quote(call.model()));
        if (call.passthrough() && call.api() == Api.CHAT_COMPLETIONS && call.stream() && !UsageTap.clientAskedForUsage(call.body())) {
            edits.put("stream_options", withIncludeUsage(call.body()));
        }
        if (call.passthrough() && (call.api() == Api.RESPONSES || call.api() == Api.RESPONSES_COMPACT)) {
            Compaction.openedForOpenAi(call.body()).ifPresent(input -> edits.put("input", input));
        }
        Map<String, String> headers = new LinkedHashMap<>(call.passHeaders());
        headers.put("content-type", "application/json");
        headers.putAll(call.provider().headers());
        auth.ifPresent(a -> headers.put(a.getKey(), a.getValue()));
        return new UpstreamRequest(uri, headers, call.body().with(edits));
    }

    /** Keeps whatever else the client put in {@code stream_options}. */
    private static byte[] withIncludeUsage(JsonBody body) {
        var existing = body.node("stream_options");
        if (existing == null || !existing.isObject()) {
            return INCLUDE_USAGE;
        }
        var copy = ((com.fasterxml.jackson.databind.node.ObjectNode) existing).deepCopy();
        copy.put("include_usage", true);
        return JsonBody.utf8(copy.toString());
    }
}
