package dev.tollgate.policy;

import java.util.List;

/**
 * The provider kinds this module's tests name. The real kinds, with their settings and checks, are
 * the adapters' in {@code providers/}, which this module cannot see.
 */
public final class TestKinds implements ProviderSpec.Source {

    @Override
    public List<? extends ProviderSpec> specs() {
        return List.of(kind("openai"), kind("openai-compatible"), kind("anthropic"), kind("gemini"));
    }

    private static ProviderSpec kind(String name) {
        return new ProviderSpec() {
            @Override
            public ProviderKind kind() {
                return ProviderKind.of(name);
            }

            @Override
            public List<Setting> settings() {
                return List.of(Setting.whole("max-output-tokens", "the most output tokens"), Setting.choices("api", "the chat APIs", "responses", "chat"));
            }
        };
    }
}
