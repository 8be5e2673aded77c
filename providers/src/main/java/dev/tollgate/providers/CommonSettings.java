package dev.tollgate.providers;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderSpec.Setting;
import dev.tollgate.providers.ir.ChatRequest;
import java.util.ArrayList;
import java.util.List;

/** Settings every provider kind takes: they shape requests translated for it. */
public final class CommonSettings {

    public static final Setting REASONING = Setting.choice("reasoning",
            "off: clients' thinking settings are dropped for models that refuse them", "off", "on");
    public static final Setting MAX_OUTPUT_TOKENS = Setting.whole("max-output-tokens",
            "the most output tokens the provider's models may be asked for");

    private CommonSettings() {
    }

    /** The kind's own settings, then these. */
    public static List<Setting> with(Setting... own) {
        List<Setting> all = new ArrayList<>(List.of(own));
        all.add(REASONING);
        all.add(MAX_OUTPUT_TOKENS);
        return List.copyOf(all);
    }

    /** Applies them to a translated request (the values were checked when the policy loaded). */
    public static ChatRequest apply(Provider provider, ChatRequest request) {
        if ("off".equals(provider.settings().get(REASONING.name()))) {
            request = request.withoutReasoning();
        }
        String max = provider.settings().get(MAX_OUTPUT_TOKENS.name());
        if (max != null) {
            request = request.withMaxTokensAtMost(Integer.parseInt(max));
        }
        return request;
    }
}
