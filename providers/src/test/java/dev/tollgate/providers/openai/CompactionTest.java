package dev.tollgate.providers.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.ir.Json;
import dev.tollgate.providers.ir.Message;
import dev.tollgate.providers.ir.Part;
import dev.tollgate.providers.ir.StopReason;
import dev.tollgate.providers.ir.StreamEvent;
import dev.tollgate.providers.ir.ToolChoice;
import dev.tollgate.providers.ir.WireCodec;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.usage.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CompactionTest {

    @Test
    void aSealedSummaryOpensOnlyUntouchedAndOnlyHere() {
        String sealed = Compaction.seal("we fixed the build; next: tests");
        assertTrue(sealed.startsWith(Compaction.PREFIX));
        assertEquals(Optional.of("we fixed the build; next: tests"), Compaction.open(sealed));
        char[] c = sealed.toCharArray();
        c[c.length - 3] = c[c.length - 3] == 'A' ? 'B' : 'A';
        assertEquals(Optional.empty(), Compaction.open(new String(c)), "a forged or altered item is refused");
        assertEquals(Optional.empty(), Compaction.open("gAAAAopenai-sealed"), "another server's item is not ours");
        assertEquals(Optional.empty(), Compaction.open(Compaction.PREFIX + "!!"));
    }

    @Test
    void aTriggerBecomesTheSummaryRequestAndAnItemItsSummary() throws Exception {
        String sealed = Compaction.seal("earlier: listed files");
        JsonBody body = JsonBody.parse(("{\"model\":\"m\",\"tool_choice\":\"auto\",\"tools\":[{\"type\":\"function\",\"name\":\"exec_command\"}],"
                + "\"input\":[{\"type\":\"compaction\",\"encrypted_content\":\"" + sealed + "\"},"
                + "{\"type\":\"compaction\",\"encrypted_content\":\"openai-opaque\"},"
                + "{\"role\":\"user\",\"content\":\"go on\"},{\"type\":\"compaction_trigger\"}]}").getBytes(StandardCharsets.UTF_8));
        ChatRequest r = ResponsesCodec.INSTANCE.decodeRequest(body);
        assertEquals(ToolChoice.Mode.NONE, r.toolChoice().mode(), "a compaction asks for a summary, not a tool call");
        String all = r.messages().stream().map(m -> Message.text(m.parts())).reduce("", String::concat);
        assertTrue(all.contains(Compaction.RESUMED + "earlier: listed files"), all);
        assertTrue(all.contains("Context compaction"), all);
        assertTrue(!all.contains("openai-opaque") && !all.contains(Compaction.PREFIX), all);
    }

    @Test
    void theAnswerIsExactlyOneCompactionItem() throws Exception {
        JsonBody body = JsonBody.parse("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"hi\"},{\"type\":\"compaction_trigger\"}]}"
                .getBytes(StandardCharsets.UTF_8));
        ChatRequest client = ResponsesCodec.INSTANCE.decodeRequest(body);
        WireCodec.StreamEncoder encoder = ResponsesCodec.INSTANCE.streamEncoder(client, body);
        List<SseEvent> out = new ArrayList<>();
        out.addAll(encoder.encode(new StreamEvent.Started("msg_1", "m", Usage.NONE)));
        out.addAll(encoder.encode(new StreamEvent.BlockStarted(0, new Part.Text(""))));
        out.addAll(encoder.encode(new StreamEvent.TextDelta(0, "the summary")));
        out.addAll(encoder.encode(new StreamEvent.BlockStopped(0)));
        out.addAll(encoder.encode(new StreamEvent.Finished(StopReason.END_TURN, new Usage(100, 20, 0, 0, 0))));
        List<JsonNode> done = new ArrayList<>();
        JsonNode completed = null;
        for (SseEvent e : out) {
            JsonNode data = Json.parse(e.data());
            assertTrue(!data.toString().contains("the summary"), "the summary is never sent in the clear: " + data);
            if (data.path("type").asText().equals("response.output_item.done")) {
                done.add(data.path("item"));
            }
            if (data.path("type").asText().equals("response.completed")) {
                completed = data;
            }
        }
        assertEquals(1, done.size());
        assertEquals("compaction", done.getFirst().path("type").asText());
        assertEquals(Optional.of("the summary"), Compaction.open(done.getFirst().path("encrypted_content").asText()));
        assertEquals(100, completed.path("response").path("usage").path("input_tokens").asInt());
    }
}
