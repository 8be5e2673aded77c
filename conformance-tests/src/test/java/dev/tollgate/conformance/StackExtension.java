package dev.tollgate.conformance;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link Stack} per test class: started before all its tests, closed after them, and, if asked,
 * simulator state cleared before each test. Register it as a static field:
 * {@code @RegisterExtension static final StackExtension stack = StackExtension.of("codex", POLICY).clearingSim(REQUESTS);}
 */
final class StackExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

    /** The simulator's record of the requests it received. */
    static final String REQUESTS = "/_sim/requests";
    /** The simulator's injected faults. */
    static final String FAULTS = "/_sim/faults";

    /** Starts the stack; for policies or environments made at run time. */
    @FunctionalInterface
    interface Starter {
        Stack start() throws Exception;
    }

    private final Starter starter;
    private final List<String> clearedBeforeEach;
    private final Map<String, OpenAIClient> openAiClients = new HashMap<>();
    private final Map<String, AnthropicClient> anthropicClients = new HashMap<>();
    private Stack stack;

    private StackExtension(Starter starter, List<String> clearedBeforeEach) {
        this.starter = starter;
        this.clearedBeforeEach = clearedBeforeEach;
    }

    static StackExtension of(String name, String policyYaml) {
        return starting(() -> Stack.start(name, policyYaml));
    }

    /** The same with a Redis the gateway shares its state through ({@link Stack#startShared}). */
    static StackExtension shared(String name, String policyYaml) {
        return starting(() -> Stack.startShared(name, policyYaml));
    }

    static StackExtension starting(Starter starter) {
        return new StackExtension(starter, List.of());
    }

    /** The same, DELETE-ing these simulator paths ({@link #REQUESTS}, {@link #FAULTS}) before each test. */
    StackExtension clearingSim(String... simPaths) {
        return new StackExtension(starter, List.of(simPaths));
    }

    /** The running stack; only from the test class's lifecycle on. */
    Stack get() {
        if (stack == null) {
            throw new IllegalStateException("the stack is not running: register the extension on a static field");
        }
        return stack;
    }

    /** The openai-java SDK on the gateway's /v1 with this key and no retries; one per key, closed with the stack. */
    OpenAIClient openAi(String key) {
        return openAiClients.computeIfAbsent(key,
                k -> OpenAIOkHttpClient.builder().baseUrl(get().gateway("/v1")).apiKey(key).maxRetries(0).build());
    }

    /** The anthropic-java SDK on the gateway's /anthropic with this key and no retries; one per key, closed with the stack. */
    AnthropicClient anthropic(String key) {
        return anthropicClients.computeIfAbsent(key,
                k -> AnthropicOkHttpClient.builder().baseUrl(get().gateway("/anthropic")).apiKey(key).maxRetries(0).build());
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        stack = starter.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        for (String path : clearedBeforeEach) {
            stack.delete(stack.sim(path));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            openAiClients.values().forEach(OpenAIClient::close);
            anthropicClients.values().forEach(AnthropicClient::close);
        } finally {
            openAiClients.clear();
            anthropicClients.clear();
            if (stack != null) {
                stack.close();
                stack = null;
            }
        }
    }
}
