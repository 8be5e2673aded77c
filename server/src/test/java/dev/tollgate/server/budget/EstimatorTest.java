package dev.tollgate.server.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Pricing;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The reservation covers every parameter that multiplies or bounds an answer's output, on every surface. */
class EstimatorTest {

    private final Estimator estimator = new Estimator(new OutputHistory());

    private static JsonBody body(String json) throws InvalidJsonException {
        return JsonBody.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private long output(Api api, String json) throws InvalidJsonException {
        return estimator.estimate("k", "m", api, body(json), Optional.empty()).outputTokens();
    }

    @Test
    void oneAnswerReservesTheExpectedOutput() throws InvalidJsonException {
        assertEquals(OutputHistory.FIRST_GUESS, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[]}"));
    }

    @Test
    void chatNMultipliesTheOutput() throws InvalidJsonException {
        assertEquals(16 * OutputHistory.FIRST_GUESS, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"n\":16,\"messages\":[]}"));
        assertEquals(16 * 50, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"n\":16,\"max_completion_tokens\":50,\"messages\":[]}"));
        assertEquals(OutputHistory.FIRST_GUESS, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"n\":null,\"messages\":[]}"));
    }

    @Test
    void everyMaximumCapsTheOutputOnItsSurface() throws InvalidJsonException {
        assertEquals(40, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_tokens\":40,\"messages\":[]}"));
        assertEquals(40, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_completion_tokens\":40,\"messages\":[]}"));
        assertEquals(40, output(Api.RESPONSES, "{\"model\":\"m\",\"max_output_tokens\":40,\"input\":\"hi\"}"));
        assertEquals(40, output(Api.MESSAGES, "{\"model\":\"m\",\"max_tokens\":40,\"messages\":[]}"));
        assertEquals(40, output(Api.GEMINI, "{\"contents\":[],\"generationConfig\":{\"maxOutputTokens\":40}}"));
        // Both chat maxima: the larger bounds what the provider may produce.
        assertEquals(60, output(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_tokens\":40,\"max_completion_tokens\":60,\"messages\":[]}"));
    }

    @Test
    void geminiCandidateCountMultipliesTheOutput() throws InvalidJsonException {
        assertEquals(4 * 40, output(Api.GEMINI, "{\"contents\":[],\"generationConfig\":{\"maxOutputTokens\":40,\"candidateCount\":4}}"));
        assertEquals(8 * OutputHistory.FIRST_GUESS, output(Api.GEMINI, "{\"contents\":[],\"generationConfig\":{\"candidateCount\":8}}"));
    }

    @Test
    void fieldsOfOtherSurfacesAreNotReadAsMultipliers() throws InvalidJsonException {
        // Anthropic and Responses have no n: a stray field there must not be taken for one (the provider ignores it).
        assertEquals(OutputHistory.FIRST_GUESS, output(Api.RESPONSES, "{\"model\":\"m\",\"n\":16,\"input\":\"hi\"}"));
        assertEquals(0, output(Api.EMBEDDINGS, "{\"model\":\"m\",\"input\":\"hi\"}"));
    }

    @Test
    void thePriceCoversEveryChoice() throws InvalidJsonException {
        Pricing price = new Pricing("m", BigDecimal.ONE, BigDecimal.TWO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);
        Estimate one = estimator.estimate("k", "m", Api.CHAT_COMPLETIONS, body("{\"model\":\"m\",\"messages\":[]}"), Optional.of(price));
        Estimate sixteen = estimator.estimate("k", "m", Api.CHAT_COMPLETIONS, body("{\"model\":\"m\",\"n\":16,\"messages\":[]}"), Optional.of(price));
        assertTrue(sixteen.nanos() > 15 * one.nanos(), one + " vs " + sixteen);
        assertEquals(16, sixteen.choices());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"n\":0,\"messages\":[]}                       | n",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"n\":129,\"messages\":[]}                     | n",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"n\":\"16\",\"messages\":[]}                  | n",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"n\":2.5,\"messages\":[]}                     | n",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"n\":99999999999999999999999,\"messages\":[]} | n",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"max_tokens\":0,\"messages\":[]}              | max_tokens",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"max_completion_tokens\":-5,\"messages\":[]}  | max_completion_tokens",
        "CHAT_COMPLETIONS | {\"model\":\"m\",\"max_tokens\":\"lots\",\"messages\":[]}       | max_tokens",
        "RESPONSES        | {\"model\":\"m\",\"max_output_tokens\":0,\"input\":\"x\"}        | max_output_tokens",
        "MESSAGES         | {\"model\":\"m\",\"max_tokens\":-1,\"messages\":[]}              | max_tokens",
        "MESSAGES         | {\"model\":\"m\",\"max_tokens\":1e400,\"messages\":[]}           | max_tokens",
        "GEMINI           | {\"contents\":[],\"generationConfig\":{\"candidateCount\":9}}      | generationConfig.candidateCount",
        "GEMINI           | {\"contents\":[],\"generationConfig\":{\"candidateCount\":0}}      | generationConfig.candidateCount",
        "GEMINI           | {\"contents\":[],\"generationConfig\":{\"maxOutputTokens\":\"x\"}} | generationConfig.maxOutputTokens",
        "GEMINI           | {\"contents\":[],\"generationConfig\":{\"maxOutputTokens\":0}}    | generationConfig.maxOutputTokens",
        "GEMINI           | {\"contents\":[],\"generationConfig\":[]}                          | generationConfig",
    })
    void anAbsurdOrNonNumericValueIsRefusedNamingTheField(Api api, String json, String param) {
        InvalidJsonException e = assertThrows(InvalidJsonException.class, () -> OutputLimits.of(api, body(json)));
        assertEquals(param, e.param());
        assertTrue(e.getMessage().contains(param), e.getMessage());
    }

    @Test
    void historyLearnsOneAnswersLengthNotTheSumOfChoices() {
        OutputHistory history = new OutputHistory();
        history.observe("k", "m", 16 * 200, 16);
        assertEquals(200, history.expected("k", "m")); // the first answer seen is taken as it is: 200, not 3,200
    }
}
