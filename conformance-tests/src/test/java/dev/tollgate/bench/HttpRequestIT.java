package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpRequestIT {

    @Test
    void buildsAKeepAlivePostWithTheRightLength() {
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        HttpRequest r = HttpRequest.postJson(URI.create("http://127.0.0.1:9001/v1/chat/completions"), body, true,
                List.of("Authorization: Bearer k"));
        String text = new String(r.bytes(), StandardCharsets.US_ASCII);
        assertEquals("127.0.0.1", r.host());
        assertEquals(9001, r.port());
        assertTrue(text.startsWith("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n"), text);
        assertTrue(text.contains("\r\nContent-Length: 7\r\n"), text);
        assertTrue(text.contains("\r\nAccept: text/event-stream\r\n"), text);
        assertTrue(text.contains("\r\nAuthorization: Bearer k\r\n\r\n{\"a\":1}"), text);
        assertTrue(text.endsWith("\r\n\r\n{\"a\":1}"), text);
    }

    @Test
    void refusesHeaderInjectionAndTls() {
        URI url = URI.create("http://127.0.0.1:1/x");
        assertThrows(IllegalArgumentException.class, () -> HttpRequest.postJson(url, new byte[0], false, List.of("A: b\r\nC: d")));
        assertThrows(IllegalArgumentException.class,
                () -> HttpRequest.postJson(URI.create("https://127.0.0.1/x"), new byte[0], false, List.of()));
    }

    @Test
    void chatBodyIsARealisticOneToTwoKilobyteRequest() throws Exception {
        for (boolean stream : new boolean[] {false, true}) {
            byte[] body = ChatBody.realistic("sim/bench", stream);
            assertTrue(body.length >= 1024 && body.length <= 2048, "size " + body.length);
            JsonNode json = new ObjectMapper().readTree(body);
            assertEquals("sim/bench", json.get("model").asText());
            assertEquals(stream, json.get("stream").asBoolean());
            assertEquals("system", json.get("messages").get(0).get("role").asText());
            assertEquals(4, json.get("messages").size());
        }
    }
}
