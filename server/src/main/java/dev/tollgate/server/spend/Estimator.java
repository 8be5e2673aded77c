package dev.tollgate.server.spend;

import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.usage.Usage;
import java.util.Optional;

/** Input tokens counted from the body, plus the output this key usually gets, capped by the request's own maximum. */
public final class Estimator {

    private static final String[] MAX_FIELDS = {"max_tokens", "max_completion_tokens", "max_output_tokens"};

    private final OutputHistory history;

    public Estimator(OutputHistory history) {
        this.history = history;
    }

    public Estimate estimate(String keyId, String model, Api api, JsonBody body, Optional<Pricing> pricing) {
        long input = TokenCounter.count(body.bytes());
        long output = api == Api.EMBEDDINGS ? 0 : Math.min(history.expected(keyId, model), maxOutput(body));
        long nanos = pricing.map(p -> Prices.cost(p, new Usage(input, output, 0, 0, 0))).orElse(0L);
        return new Estimate(input, output, nanos);
    }

    private static long maxOutput(JsonBody body) {
        for (String field : MAX_FIELDS) {
            var max = body.longValue(field);
            if (max.isPresent() && max.getAsLong() > 0) {
                return max.getAsLong();
            }
        }
        return Long.MAX_VALUE;
    }
}
