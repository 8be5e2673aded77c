package dev.tollgate.providers;

import dev.tollgate.policy.ProviderKind;
import dev.tollgate.policy.ProviderSpec;
import dev.tollgate.policy.ProviderSpecs;
import dev.tollgate.providers.anthropic.AnthropicAdapter;
import dev.tollgate.providers.azure.AzureOpenAiAdapter;
import dev.tollgate.providers.bedrock.BedrockAdapter;
import dev.tollgate.providers.compatible.OpenAiCompatibleAdapter;
import dev.tollgate.providers.gemini.GeminiAdapter;
import dev.tollgate.providers.openai.OpenAiAdapter;
import dev.tollgate.providers.vertex.VertexAdapter;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The provider kinds this gateway can call, by name. A new kind is one folder with its {@link Adapter}
 * and one line in {@link #builtIn}. The policy loader learns the same kinds (and their settings)
 * through {@link ProviderSpecs}, which finds this class as a {@link ProviderSpec.Source}.
 */
public final class Adapters implements ProviderSpec.Source {

    private final Map<String, Adapter> byKind = new ConcurrentHashMap<>();

    /** The built-in kinds, their tokens' clock the system's (for the policy loader's {@link java.util.ServiceLoader}). */
    public Adapters() {
        this(Clock.systemUTC());
    }

    /** @param clock what cached access tokens expire by */
    public Adapters(Clock clock) {
        builtIn(clock).forEach(a -> byKind.put(a.kind().id(), a));
    }

    private static List<Adapter> builtIn(Clock clock) {
        return List.of(
                new OpenAiAdapter(),
                new AzureOpenAiAdapter(),
                new OpenAiCompatibleAdapter(),
                new AnthropicAdapter(),
                new GeminiAdapter(),
                new BedrockAdapter(),
                new VertexAdapter(clock));
    }

    /** Calls adapters make besides the model call itself (Vertex's token exchange) go through this client too. */
    public Adapters upstream(dev.tollgate.providers.upstream.UpstreamClient client) {
        byKind.values().forEach(a -> {
            if (a instanceof VertexAdapter vertex) {
                vertex.tokensVia(client);
            }
        });
        return this;
    }

    /** Adds a kind (or replaces one); the policy loader accepts it from now on. */
    public Adapters with(Adapter adapter) {
        byKind.put(adapter.kind().id(), adapter);
        ProviderSpecs.register(adapter);
        return this;
    }

    /** The adapter of a kind the loaded policy names (the loader refused any other). */
    public Adapter of(ProviderKind kind) {
        Adapter adapter = byKind.get(kind.id());
        if (adapter == null) {
            throw new IllegalStateException("no adapter for provider kind " + kind.id() + " (the policy loader knows it, this gateway does not)");
        }
        return adapter;
    }

    @Override
    public List<? extends ProviderSpec> specs() {
        return List.copyOf(byKind.values());
    }
}
