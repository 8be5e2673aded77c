package dev.tollgate.server.budget;

import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import java.util.Optional;

/**
 * Input tokens counted from the body, plus the output this key usually gets, capped by the request's
 * own maximum, for every answer the request asks for ({@link OutputLimits}).
 */
public final class Estimator {

    private final OutputHistory history;
    private final InputRatio inputRatio;

    public Estimator(OutputHistory history) {
        this(history, new InputRatio());
    }

    public Estimator(OutputHistory history, InputRatio inputRatio) {
        this.history = history;
        this.inputRatio = inputRatio;
    }

    /** @throws InvalidJsonException when a field that multiplies or bounds the output is absurd or not a number */
    public Estimate estimate(String keyId, String model, Api api, JsonBody body, Optional<Pricing> pricing) throws InvalidJsonException {
        OutputLimits limits = OutputLimits.of(api, body);
        long counted = TokenCounter.count(body.bytes());
        long input = inputRatio.expected(model, counted);
        long each = Math.min(history.expected(keyId, model), limits.maxEach().orElse(Long.MAX_VALUE));
        long output = api == Api.EMBEDDINGS ? 0 : each * limits.choices();
        // Reserved at the tier asked for and, for a long prompt, at the long-context rates.
        String tier = requestedTier(api, body);
        long nanos = pricing.map(p -> Prices.cost(p, new Usage(input, output, 0, 0, 0).withServiceTier(tier))).orElse(0L);
        return new Estimate(input, output, nanos, limits.choices(), counted, tier);
    }

    /** OpenAI's {@code service_tier} (chat, Responses); other dialects choose no priced tier in the request. */
    static String requestedTier(Api api, JsonBody body) {
        if (api != Api.CHAT_COMPLETIONS && api != Api.RESPONSES) {
            return null;
        }
        var tier = body.node("service_tier");
        return tier != null && tier.isTextual() && !tier.asText().isBlank() ? tier.asText() : null;
    }
}
