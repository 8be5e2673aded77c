package dev.tollgate.server.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-5.5", "claude-sonnet-4-5@20250929", "anthropic.claude-3-5-sonnet-20240620-v1:0", "llama3.1:8b",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo", "accounts/fireworks/models/x", "models/gemini-2.5-pro", "sim/echo",
            "bedrock/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "ft:gpt-4o-mini-2024-07-18:org::abc123", "together/Qwen/Qwen2.5-Coder-32B-Instruct", "ollama/hf.co/user/repo:Q4_K_M", "a..b", "..."})
    void realProviderIdsAreNames(String name) throws Exception {
        assertNull(ModelName.problem(name), name);
        assertEquals(name, ModelName.parse(name, "'model'").value());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "simgem/cheap/../priced", "../x", "x/..", "x/./y", "./x", "x//y", "/x", "x/", "with space", "cr\rlf", "lf\n",
            "nul\u0000", "pct%2F", "pipe|", "{x}", "back\\slash", "q?x=1", "hash#x", "comma,x", "tab\t", "quote\"", "lt<", "ünï", "a+b", "a=b"})
    void urlSyntaxControlBytesAndDotSegmentsAreNot(String name) {
        GatewayException e = assertThrows(GatewayException.class, () -> ModelName.parse(name, "'model'"));
        GatewayError.BadRequest bad = (GatewayError.BadRequest) e.error();
        assertEquals(400, bad.status());
        assertEquals("model", bad.param());
        assertTrue(bad.message().startsWith("The model name in 'model' "), bad.message());
        assertTrue(bad.message().contains("A model name holds letters, digits"), bad.message());
        assertFalse(bad.message().chars().anyMatch(c -> c < 0x20), "no control bytes in the message: " + bad.message());
    }

    @Test
    void theLengthIsCappedAndTheMessageNeverEchoesTheName() throws Exception {
        assertNull(ModelName.problem("x".repeat(ModelName.MAX_LENGTH)));
        String huge = "y".repeat(10 * 1024 * 1024);
        GatewayException e = assertThrows(GatewayException.class, () -> ModelName.parse(huge, "'model'"));
        assertTrue(e.error().message().contains("is 10485760 characters long"), e.error().message());
        assertTrue(e.error().message().length() < 400, "the message stays short");
        assertTrue(ModelName.parse("a", "x").toString().equals("a"));
        assertThrows(GatewayException.class, () -> ModelName.parse("a\u0000b", "the request path"));
        assertTrue(assertThrows(GatewayException.class, () -> ModelName.parse("a\u0000b", "the request path")).error().message()
                .contains("holds U+0000 at position 2"));
    }
}
