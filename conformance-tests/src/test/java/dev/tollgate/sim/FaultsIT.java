package dev.tollgate.sim;

import static dev.tollgate.sim.SimHttp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultsIT {
    static ProviderSim sim;
    static SimHttp http;

    static final String CHAT_STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() {
        sim = ProviderSim.start(SimOptions.defaults());
        http = new SimHttp(sim);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @BeforeEach
    void clearFaults() throws Exception {
        assertEquals(200, http.delete("/_sim/faults").status());
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void queued503WithRetryAfterOnlyForItsModelAndOnlyNTimes() throws Exception {
        var q = http.post("/_sim/faults", json("{'faults':[{'status':503,'retry_after':2,'model':'gpt-x','times':2}]}"));
        assertEquals(200, q.status());
        assertEquals(1, q.json().get("queued").asInt());

        assertEquals(200, http.post("/v1/chat/completions", chat("other")).status());
        for (int i = 0; i < 2; i++) {
            var r = http.post("/v1/chat/completions", chat("gpt-x"));
            assertEquals(503, r.status());
            assertEquals("2", r.headers().firstValue("retry-after").orElseThrow());
            JsonNode err = r.json().get("error");
            assertTrue(err.get("message").asText().contains("503"));
            assertEquals("server_error", err.get("type").asText());
            assertTrue(err.has("code"));
        }
        assertEquals(200, http.post("/v1/chat/completions", chat("gpt-x")).status());
        assertEquals(0, http.get("/_sim/faults").json().get("faults").size());
    }

    @Test
    void queuedFaultsApplyInOrderWithCustomBody() throws Exception {
        http.post("/_sim/faults", json("{'faults':[{'status':429,'body':'{\\\"custom\\\":true}'},{'status':500}]}"));
        var first = http.post("/v1/chat/completions", CHAT);
        assertEquals(429, first.status());
        assertTrue(first.headers().firstValue("retry-after").isEmpty());
        assertTrue(first.json().get("custom").asBoolean());
        assertEquals(500, http.post("/v1/chat/completions", CHAT).status());
        assertEquals(200, http.post("/v1/chat/completions", CHAT).status());
    }

    @Test
    void deleteClearsTheQueue() throws Exception {
        http.post("/_sim/faults", json("{'faults':[{'status':500,'times':5}]}"));
        assertEquals(1, http.get("/_sim/faults").json().get("faults").size());
        http.delete("/_sim/faults");
        assertEquals(200, http.post("/v1/chat/completions", CHAT).status());
    }

    @Test
    void badFaultSpecsAreRejected() throws Exception {
        assertEquals(400, http.post("/_sim/faults", json("{'faults':[{'status':503},{'explode':1}]}")).status());
        assertEquals(0, http.get("/_sim/faults").json().get("faults").size(), "nothing queued from a bad batch");
        var r = http.post("/v1/chat/completions", CHAT, "x-sim-fault", "{nope");
        assertEquals(400, r.status());
        assertTrue(r.json().at("/error/message").asText().contains("x-sim-fault"));
    }

    /** Reads a streamed body the way an SSE client does, keeping what arrived before any failure. */
    private static IOException readUntilFailure(String path, String body, String fault, ByteArrayOutputStream got)
            throws Exception {
        HttpResponse<InputStream> resp = SimHttp.CLIENT.send(
                http.request(path, body).header("x-sim-fault", fault).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resp.statusCode());
        try (InputStream in = resp.body()) {
            byte[] buf = new byte[256];
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.write(buf, 0, n);
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    @Test
    void resetMidStreamIsAnErrorForTheClientNotACleanEnd() throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        IOException failure = readUntilFailure("/v1/chat/completions", CHAT_STREAM, "{\"reset_after_chunks\":3}", got);
        assertTrue(failure != null, "the client must see the connection break, got a clean end: " + got);
        List<SimHttp.Event> events = SimHttp.parseSse(got.toString(StandardCharsets.UTF_8));
        // A reset may discard bytes the client had not read yet, so only an upper bound holds.
        assertTrue(events.size() <= 3, "no event after the reset: " + events.size());
        assertFalse(got.toString(StandardCharsets.UTF_8).contains("[DONE]"));

        // The same through BodyHandlers.ofString: send() itself fails.
        assertThrows(IOException.class, () -> SimHttp.send(
                http.request("/v1/messages", "{\"model\":\"c\",\"stream\":true,\"messages\":[]}")
                        .header("x-sim-fault", "{\"reset_after_chunks\":1}").build()));
        // A non-streaming call gets no response at all.
        assertThrows(IOException.class, () -> SimHttp.send(
                http.request("/v1/chat/completions", CHAT).header("x-sim-fault", "{\"reset_after_chunks\":0}").build()));
        // A count past the end of the stream still breaks it, at the end.
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        assertTrue(readUntilFailure("/v1/chat/completions", CHAT_STREAM, "{\"reset_after_chunks\":1000}", all) != null,
                "the break comes at the end of the stream");
        // And the simulator is fine afterwards.
        assertEquals(200, http.post("/v1/chat/completions", CHAT).status());
    }

    @Test
    void queuedResetAppliesToGeminiStream() throws Exception {
        http.post("/_sim/faults", json("{'faults':[{'reset_after_chunks':1,'model':'gemini-2.5-flash'}]}"));
        assertThrows(IOException.class, () -> SimHttp.send(http.request(
                "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}").build()));
    }

    @Test
    void malformedEventThenCleanEnd() throws Exception {
        var r = http.post("/v1/responses", "{\"model\":\"m\",\"stream\":true,\"input\":\"hi\"}",
                "x-sim-fault", "{\"malformed_after_chunks\":2}");
        assertEquals(200, r.status());
        List<SimHttp.Event> events = r.events();
        assertEquals(3, events.size());
        assertEquals("response.created", events.get(0).event());
        assertEquals("response.in_progress", events.get(1).event());
        assertEquals("{not json", events.get(2).data());
        assertThrows(IOException.class, () -> SimHttp.MAPPER.readTree(events.get(2).data()));
    }

    @Test
    void stallBeforeFirstByte() throws Exception {
        long t0 = System.nanoTime();
        var r = http.post("/v1/chat/completions", CHAT, "x-sim-fault", "{\"stall_ms\":400}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.status());
        assertTrue(ms >= 400, "took " + ms + " ms");
    }

    /** Arrival times (ms since the request was sent) of each SSE data line. */
    private static List<Long> arrivals(String path, String body, String... headers) throws Exception {
        var b = http.request(path, body);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        long t0 = System.nanoTime();
        HttpResponse<Stream<String>> resp = SimHttp.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        List<Long> times = new ArrayList<>();
        try (Stream<String> lines = resp.body()) {
            lines.filter(l -> l.startsWith("data: ")).forEach(l -> times.add((System.nanoTime() - t0) / 1_000_000));
        }
        return times;
    }

    @Test
    void stallAfterSomeChunks() throws Exception {
        List<Long> t = arrivals("/v1/chat/completions", CHAT_STREAM, "x-sim-fault", "{\"stall_ms\":500,\"after_chunks\":2}");
        assertEquals(11, t.size());
        assertTrue(t.get(2) - t.get(1) >= 450, "stall between event 2 and 3: " + t);
        assertTrue(t.get(1) < 450, "first events are not delayed: " + t);
    }

    @Test
    void ttftAndChunkGapHeaders() throws Exception {
        List<Long> t = arrivals("/v1/chat/completions", CHAT_STREAM,
                "x-sim-ttft-ms", "300", "x-sim-chunk-gap-ms", "100", "x-sim-words", "4");
        // role chunk, 4 tokens, finish chunk, [DONE]
        assertEquals(7, t.size());
        assertTrue(t.getFirst() >= 300, "first byte after the TTFT: " + t);
        // Lower bounds from the start only: a late first arrival (a busy machine) shortens the next
        // measured gap, but no token can arrive before the simulator sent it.
        for (int i = 2; i <= 4; i++) {
            assertTrue(t.get(i) >= 300 + (i - 1) * 90, "token " + i + " not before ttft + " + (i - 1) + " gaps: " + t);
        }
        // A whole answer takes as long as its stream: ttft + 3 gaps.
        long t0 = System.nanoTime();
        http.post("/v1/chat/completions", CHAT, "x-sim-ttft-ms", "200", "x-sim-chunk-gap-ms", "50", "x-sim-words", "4");
        assertTrue((System.nanoTime() - t0) / 1_000_000 >= 350);
    }

    @Test
    void badTimingHeaderIsRejected() throws Exception {
        var r = http.post("/v1/messages", "{\"model\":\"c\",\"messages\":[]}", "x-sim-words", "lots");
        assertEquals(400, r.status());
        assertEquals("invalid_request_error", r.json().at("/error/type").asText());
    }
}
