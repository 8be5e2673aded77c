package dev.tollgate.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A realistic chat completion request body (about 1.5 KB): a system prompt and a few turns of a coding chat. */
public final class ChatBody {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String SYSTEM = """
            You are a careful senior software engineer helping a colleague in their repository. \
            Answer concisely, show code only where it helps, and prefer small, reviewable changes. \
            When you are unsure about the behaviour of a library, say so and suggest how to check it. \
            Follow the repository's conventions: Java 21, records for immutable data, no field injection, \
            tests with JUnit 5, and clear error messages that tell the operator what to do next.""";

    private static final String USER_1 = """
            Our HTTP handler reads the whole request body into a byte array before routing. For chat \
            completions that is fine, but uploads can be large. Should we stream instead?""";

    private static final String ASSISTANT_1 = """
            For chat completions, buffering is reasonable: bodies are small (usually under 100 KB) and you \
            need the parsed model name before you can route. For uploads, stream to the upstream with a \
            size cap and reject early with 413 when Content-Length exceeds it. Keep one code path per kind.""";

    private static final String USER_2 = """
            Makes sense. Can you sketch the size check for the buffered path, with the error in the \
            OpenAI format so that the SDKs surface a useful message?""";

    private ChatBody() {
    }

    public static byte[] realistic(String model, boolean stream) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM);
        messages.addObject().put("role", "user").put("content", USER_1);
        messages.addObject().put("role", "assistant").put("content", ASSISTANT_1);
        messages.addObject().put("role", "user").put("content", USER_2);
        body.put("max_tokens", 256);
        body.put("temperature", 0.2);
        body.put("stream", stream);
        if (stream) {
            body.putObject("stream_options").put("include_usage", true);
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
