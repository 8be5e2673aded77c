package dev.tollgate.sim;

import static dev.tollgate.sim.SimHttp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecordingIT {
    static ProviderSim sim;
    static SimHttp http;

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults().withRecordLimit(5));
        http = new SimHttp(sim);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @BeforeEach
    void clear() throws Exception {
        http.delete("/_sim/requests");
    }

    @Test
    void recordsMethodPathQueryHeadersAndParsedBody() throws Exception {
        http.post("/v1/messages?beta=true", json("{'model':'claude-x','stream':false,'messages':[{'role':'user','content':'hi'}]}"),
                "x-api-key", "sk-test", "anthropic-version", "2023-06-01");
        http.post("/v1beta/models/gemini-2.5-flash:generateContent", "not json at all");
        JsonNode log = http.get("/_sim/requests").json();
        assertEquals(2, log.size(), "control calls are not recorded: " + log);
        JsonNode first = log.get(0);
        assertEquals("POST", first.get("method").asText());
        assertEquals("/v1/messages", first.get("path").asText());
        assertEquals("beta=true", first.get("query").asText());
        assertEquals("sk-test", first.at("/headers/x-api-key").asText());
        assertEquals("2023-06-01", first.at("/headers/anthropic-version").asText());
        assertEquals("claude-x", first.at("/body/model").asText());
        assertEquals("hi", first.at("/body/messages/0/content").asText());
        assertTrue(first.get("body").get("stream").isBoolean());
        JsonNode second = log.get(1);
        assertEquals("/v1beta/models/gemini-2.5-flash:generateContent", second.get("path").asText());
        assertEquals("not json at all", second.get("body").asText(), "unparseable bodies are kept as text");
        assertTrue(second.get("seq").asLong() > first.get("seq").asLong());
    }

    @Test
    void keepsOnlyTheLastNAndClears() throws Exception {
        for (int i = 0; i < 8; i++) {
            http.post("/v1/chat/completions", "{\"model\":\"m" + i + "\",\"messages\":[]}");
        }
        JsonNode log = http.get("/_sim/requests").json();
        assertEquals(5, log.size());
        for (int i = 0; i < 5; i++) {
            assertEquals("m" + (i + 3), log.get(i).at("/body/model").asText(), "oldest first");
        }
        assertEquals(5, http.delete("/_sim/requests").json().get("cleared").asInt());
        assertEquals(0, http.get("/_sim/requests").json().size());
    }

    @Test
    void faultedRequestsAreRecordedToo() throws Exception {
        http.post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}", "x-sim-fault", "{\"status\":503}");
        JsonNode log = http.get("/_sim/requests").json();
        assertEquals(1, log.size());
        assertEquals("{\"status\":503}", log.get(0).at("/headers/x-sim-fault").asText());
    }

    @Test
    void embeddingsAreDeterministicUnitVectors() throws Exception {
        JsonNode a = http.post("/v1/embeddings", json("{'model':'text-embedding-3-small','input':['abcd','efghijkl']}")).json();
        JsonNode b = http.post("/v1/embeddings", json("{'model':'text-embedding-3-small','input':'abcd'}")).json();
        assertEquals("list", a.get("object").asText());
        assertEquals(2, a.get("data").size());
        assertEquals(1, a.at("/data/1/index").asInt());
        JsonNode v = a.at("/data/0/embedding");
        assertEquals(8, v.size());
        double norm = 0;
        for (JsonNode x : v) {
            norm += x.asDouble() * x.asDouble();
        }
        assertEquals(1.0, norm, 1e-4);
        assertEquals(v, b.at("/data/0/embedding"), "same input, same vector");
        assertTrue(!v.equals(a.at("/data/1/embedding")));
        assertEquals(3, a.at("/usage/prompt_tokens").asInt());
        assertEquals(3, a.at("/usage/total_tokens").asInt());
        JsonNode b64 = http.post("/v1/embeddings", json("{'model':'e','input':'abcd','encoding_format':'base64'}")).json();
        byte[] raw = java.util.Base64.getDecoder().decode(b64.at("/data/0/embedding").asText());
        float first = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat();
        assertEquals(v.get(0).floatValue(), first, 1e-6);
    }

    @Test
    void modelListsAndHeadProbe() throws Exception {
        JsonNode openai = http.get("/v1/models").json();
        assertEquals("list", openai.get("object").asText());
        assertTrue(openai.get("data").size() > 0);
        assertEquals("model", openai.at("/data/0/object").asText());
        JsonNode anthropic = http.get("/v1/models", "anthropic-version", "2023-06-01").json();
        assertEquals("model", anthropic.at("/data/0/type").asText());
        assertTrue(http.get("/v1beta/models").json().at("/models/0/name").asText().startsWith("models/"));
        HttpResponse<Void> head = SimHttp.CLIENT.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/anthropic"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
    }
}
