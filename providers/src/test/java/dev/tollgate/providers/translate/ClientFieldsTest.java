package dev.tollgate.providers.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.providers.Api;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.json.JsonBody;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdict on what a client sent beyond the conversation, for an upstream of another format. */
class ClientFieldsTest {

    private static ClientFields.Verdict check(Api client, String json, Api upstream) throws Exception {
        return ClientFields.check(client, JsonBody.parse(json.getBytes(StandardCharsets.UTF_8)), upstream, "p");
    }

    @Test
    void anImagesDetailIsDroppedAndTheImageKept() throws Exception {
        var v = (ClientFields.Verdict.Carry) check(Api.RESPONSES, """
                {"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AA","detail":"high"},
                 {"type":"input_image","image_url":"data:image/png;base64,AA","detail":"auto"}]}]}""", Api.MESSAGES);
        assertEquals(Map.of("image.detail", 1), v.dropped().counts());
    }

    @Test
    void anthropicServerToolsAreCountedWhenTheyCannotGo() throws Exception {
        var v = (ClientFields.Verdict.Carry) check(Api.MESSAGES, """
                {"model":"m","max_tokens":10,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"},
                 {"name":"Bash","input_schema":{"type":"object"}}]}""", Api.RESPONSES);
        assertEquals(Map.of("web_search_20250305", 1), v.dropped().counts());
    }

    @Test
    void googleSearchOnlyWithoutFunctionTools() throws Exception {
        String fn = "{\"type\":\"function\",\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}";
        var alone = (ClientFields.Verdict.Carry) check(Api.RESPONSES, "{\"model\":\"m\",\"input\":\"q\",\"tools\":[{\"type\":\"web_search\"}]}", Api.GEMINI);
        assertTrue(alone.webSearch());
        var mixed = (ClientFields.Verdict.Carry) check(Api.RESPONSES, "{\"model\":\"m\",\"input\":\"q\",\"tools\":[" + fn + ",{\"type\":\"web_search\"}]}",
                Api.GEMINI);
        assertFalse(mixed.webSearch());
        assertEquals(Map.of("web_search", 1), mixed.dropped().counts());
        String gemini = new String(ClientFields.withWebSearch("{\"contents\":[]}".getBytes(StandardCharsets.UTF_8), Api.GEMINI), StandardCharsets.UTF_8);
        assertEquals("{\"google_search\":{}}", Json.parse(gemini.getBytes(StandardCharsets.UTF_8)).path("tools").get(0).toString());
    }

    @Test
    void aHostedToolAskedForOnPurposeIsRefusedNamingIt() throws Exception {
        var v = assertInstanceOf(ClientFields.Verdict.Refuse.class,
                check(Api.RESPONSES, "{\"model\":\"m\",\"input\":\"q\",\"tools\":[{\"type\":\"file_search\",\"vector_store_ids\":[\"vs\"]}]}", Api.MESSAGES));
        assertTrue(v.message().contains("'file_search'"), v.message());
        assertEquals("tools", v.param());
    }
}
