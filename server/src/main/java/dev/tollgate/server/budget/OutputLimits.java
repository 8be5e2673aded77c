package dev.tollgate.server.budget;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import java.util.OptionalLong;

/**
 * What a request says about the size of its answer, in its own surface's fields: how many answers
 * ({@code choices}: chat's {@code n}, Gemini's {@code candidateCount}; each is billed) and the most
 * output tokens each may have. A budget reserves for all of them, so an absurd or mistyped value is
 * refused before anything is reserved or sent.
 *
 * @param maxEach the largest output bound the request sets, or empty for none
 */
public record OutputLimits(int choices, OptionalLong maxEach) {

    /** OpenAI's limit for chat's {@code n}. */
    public static final int MAX_N = 128;
    /** Gemini's limit for {@code candidateCount}. */
    public static final int MAX_CANDIDATES = 8;

    public static final OutputLimits ONE = new OutputLimits(1, OptionalLong.empty());

    /** @throws InvalidJsonException naming the field (dotted for Gemini's nested ones) and what it must be */
    public static OutputLimits of(Api api, JsonBody body) throws InvalidJsonException {
        return switch (api) {
            case CHAT_COMPLETIONS -> new OutputLimits(
                    (int) top(body, "n", 1, MAX_N).orElse(1),
                    larger(top(body, "max_tokens", 1, Integer.MAX_VALUE), top(body, "max_completion_tokens", 1, Integer.MAX_VALUE)));
            case RESPONSES -> new OutputLimits(1, top(body, "max_output_tokens", 1, Integer.MAX_VALUE));
            case MESSAGES -> new OutputLimits(1, top(body, "max_tokens", 1, Integer.MAX_VALUE));
            case GEMINI -> gemini(body);
            case EMBEDDINGS, CONVERSE, RESPONSES_COMPACT -> ONE;
        };
    }

    private static OutputLimits gemini(JsonBody body) throws InvalidJsonException {
        JsonNode config = body.node("generationConfig");
        if (config == null || config.isNull()) {
            return ONE;
        }
        if (!config.isObject()) {
            throw new InvalidJsonException("'generationConfig' must be an object.", "generationConfig");
        }
        return new OutputLimits(
                (int) nested(config, "candidateCount", 1, MAX_CANDIDATES).orElse(1),
                nested(config, "maxOutputTokens", 1, Integer.MAX_VALUE));
    }

    private static OptionalLong top(JsonBody body, String field, long min, long max) throws InvalidJsonException {
        var token = body.token(field);
        if (token.isEmpty() || token.get() == JsonToken.VALUE_NULL) {
            return OptionalLong.empty();
        }
        OptionalLong value = token.get() == JsonToken.VALUE_NUMBER_INT ? body.longValue(field) : OptionalLong.empty();
        return checked(field, value, min, max);
    }

    private static OptionalLong nested(JsonNode config, String field, long min, long max) throws InvalidJsonException {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) {
            return OptionalLong.empty();
        }
        String name = "generationConfig." + field;
        return checked(name, v.isIntegralNumber() && v.canConvertToLong() ? OptionalLong.of(v.longValue()) : OptionalLong.empty(), min, max);
    }

    private static OptionalLong checked(String field, OptionalLong value, long min, long max) throws InvalidJsonException {
        if (value.isEmpty() || value.getAsLong() < min || value.getAsLong() > max) {
            throw new InvalidJsonException("'" + field + "' must be a whole number from " + min + " to " + max
                    + ". Fix the value or leave the field out.", field);
        }
        return value;
    }

    private static OptionalLong larger(OptionalLong a, OptionalLong b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() || a.getAsLong() >= b.getAsLong() ? a : b;
    }
}
