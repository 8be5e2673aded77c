package dev.tollgate.providers.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonBodyTest {

    private static JsonBody parse(String json) throws InvalidJsonException {
        return JsonBody.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTopLevelFieldsWithoutTouchingOthers() throws Exception {
        JsonBody body = parse("{\"model\" : \"sim/x\", \"stream\":true, \"messages\":[{\"role\":\"user\",\"content\":\"hé\"}],"
                + "\"internal_chat_message_metadata_passthrough\":{\"a\":[1,2.50,{}]}}");
        assertEquals("sim/x", body.string("model").orElseThrow());
        assertTrue(body.bool("stream").orElseThrow());
        assertTrue(body.has("messages"));
        assertFalse(body.has("tools"));

        String edited = new String(body.with(Map.of("model", JsonBody.quote("x"))), StandardCharsets.UTF_8);
        assertEquals("{\"model\" : \"x\", \"stream\":true, \"messages\":[{\"role\":\"user\",\"content\":\"hé\"}],"
                + "\"internal_chat_message_metadata_passthrough\":{\"a\":[1,2.50,{}]}}", edited);
    }

    @Test
    void readsStringsAndIntegersStraightFromTheirBytes() throws Exception {
        JsonBody body = JsonBody.parse(("{\"model\" : \"gpt-é/x\" ,\"esc\":\"a\\\"b\\n\",\"max_tokens\":  4096 ,"
                + "\"neg\":-3,\"big\":99999999999999999999,\"f\":1.5,\"last\":7}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("gpt-é/x", body.string("model").orElseThrow());
        assertEquals("a\"b\n", body.string("esc").orElseThrow());
        assertEquals(4096, body.longValue("max_tokens").getAsLong());
        assertEquals(-3, body.longValue("neg").getAsLong());
        assertEquals(7, body.longValue("last").getAsLong());
        assertTrue(body.longValue("big").isEmpty(), "too large for a long");
        assertTrue(body.longValue("f").isEmpty(), "not an integer");
        assertTrue(body.longValue("absent").isEmpty());
    }

    @Test
    void splicesReplacementsAndAdditionsInOnePass() throws Exception {
        JsonBody body = parse("{\"stream\":true,\"model\":\"a\",\"n\":1}\n");
        Map<String, byte[]> edits = new LinkedHashMap<>();
        edits.put("model", JsonBody.quote("b"));
        edits.put("stream_options", JsonBody.utf8("{\"include_usage\":true}"));
        edits.put("n", JsonBody.utf8("2"));
        String edited = new String(body.with(edits), StandardCharsets.UTF_8);
        assertEquals("{\"stream\":true,\"model\":\"b\",\"n\":2,\"stream_options\":{\"include_usage\":true}}\n", edited);
        assertEquals("{\"model\":\"m\"}", new String(parse("{}").with(Map.of("model", JsonBody.quote("m"))), StandardCharsets.UTF_8));
    }

    @Test
    void explainsMalformedJsonWithItsPosition() {
        InvalidJsonException e = assertThrows(InvalidJsonException.class, () -> parse("{\"model\":\"x\",\n \"messages\": [}"));
        assertTrue(e.getMessage().startsWith("the request body is not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(InvalidJsonException.class, () -> parse("[1,2]"));
        assertThrows(InvalidJsonException.class, () -> parse("{} {}"));
        assertThrows(InvalidJsonException.class, () -> parse(""));
    }

    @Test
    void saysWhatIsWrongAtLineAndColumnWithoutParserInternals() {
        Map<String, String> cases = Map.of(
                "{\"model\":\"x\",\n\"messages\": [1,2", "the request body is not valid JSON at line 2, column 17: it ends before the JSON does"
                        + " (expected the end of the array opened at line 2, column 13)",
                "{\"model\":\"x\",\"messages\":[}", "the request body is not valid JSON at line 1, column 26: unexpected '}' (expected ']')",
                "nope", "the request body is not valid JSON at line 1, column 1: unexpected 'nope' (expected a JSON value)",
                "{\"a\":\"\\u00\"}", "the request body is not valid JSON at line 1, column 11: unexpected character '\"' (expected a hex-digit for"
                        + " character escape sequence)",
                "{\"a\" 1}", "the request body is not valid JSON at line 1, column 6: unexpected character '1' (expected a colon to"
                        + " separate field name and value)");
        cases.forEach((body, message) -> {
            InvalidJsonException e = assertThrows(InvalidJsonException.class, () -> parse(body));
            assertEquals(message, e.getMessage(), body);
        });
    }

    @Test
    void namesTheFieldOfTheWrongType() throws Exception {
        JsonBody body = parse("{\"model\":42,\"stream\":\"yes\"}");
        assertEquals("model", assertThrows(InvalidJsonException.class, () -> body.string("model")).param());
        assertEquals("stream", assertThrows(InvalidJsonException.class, () -> body.bool("stream")).param());
    }

    @Test
    void removesFieldsKeepingEveryOtherByteAndSeparator() throws Exception {
        String json = "{ \"model\" : \"m\",\n  \"max_tokens\": 10 , \"messages\":[{\"x\":1}],\"stream\":true }";
        JsonBody body = parse(json);
        assertEquals("{ \"max_tokens\": 10 , \"messages\":[{\"x\":1}],\"stream\":true }",
                new String(body.edit(Map.of(), java.util.Set.of("model")), StandardCharsets.UTF_8), "first field");
        assertEquals("{ \"model\" : \"m\",\n  \"max_tokens\": 10 , \"messages\":[{\"x\":1}] }",
                new String(body.edit(Map.of(), java.util.Set.of("stream")), StandardCharsets.UTF_8), "last field");
        assertEquals("{ \"model\" : \"m\",\"stream\":true }",
                new String(body.edit(Map.of(), java.util.Set.of("max_tokens", "messages")), StandardCharsets.UTF_8), "two in the middle");
        assertEquals("{  \"v\":\"x\"}", // added fields go just before the closing brace, as with()
                new String(body.edit(Map.of("v", JsonBody.quote("x")), java.util.Set.of("model", "max_tokens", "messages", "stream")),
                        StandardCharsets.UTF_8), "all removed, one added");
        assertEquals("{\"a\":1}", new String(parse("{}").edit(Map.of("a", JsonBody.utf8("1")), java.util.Set.of("b")), StandardCharsets.UTF_8));
    }

    @Test
    void findsTheLastTopLevelObjectFieldFromTheEnd() {
        byte[] chat = JsonBody.utf8("""
                {"id":"c","choices":[{"message":{"content":"a \\"usage\\": {} in text"}}],
                 "usage" : {"prompt_tokens":9,"completion_tokens":2}, "system_fingerprint":"fp", "meta":{"x":[1,{"y":"}"}]}}""");
        assertEquals(9, JsonBody.lastTopLevelObject(chat, "usage").path("prompt_tokens").asInt());

        // Usage first and a tool's own "usage" object later in the content: not top level, so null (callers parse it all).
        byte[] nested = JsonBody.utf8("""
                {"usage":{"input_tokens":5},"content":[{"type":"tool_use","input":{"usage":{"input_tokens":99}}}]}""");
        assertNull(JsonBody.lastTopLevelObject(nested, "usage"));

        byte[] gemini = JsonBody.utf8("""
                {"candidates":[],"usageMetadata":{"promptTokenCount":7,"promptTokensDetails":[{"modality":"TEXT","tokenCount":7}],
                 "thoughtsTokenCount":2.0,"cached":true,"note":null},"modelVersion":"m"}""");
        JsonNode metadata = JsonBody.lastTopLevelObject(gemini, "usageMetadata");
        assertEquals("{\"promptTokenCount\":7,\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":7}],"
                + "\"thoughtsTokenCount\":2.0,\"cached\":true,\"note\":null}", metadata.toString(), "every kind of value, arrays included");

        assertNull(JsonBody.lastTopLevelObject(JsonBody.utf8("{\"type\":\"usage\"}"), "usage"), "a value, not a key");
        assertNull(JsonBody.lastTopLevelObject(JsonBody.utf8("{\"usage\":null}"), "usage"));
        assertNull(JsonBody.lastTopLevelObject(JsonBody.utf8("{\"id\":1}"), "usage"));
        assertNull(JsonBody.lastTopLevelObject(JsonBody.utf8("{\"usage\":{\"a\":[1,2"), "usage"), "an answer cut short");
    }
}
