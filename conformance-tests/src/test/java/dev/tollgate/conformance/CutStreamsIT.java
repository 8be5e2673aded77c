package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stream cut short is charged on every surface x upstream pair, passthrough and translated, for both
 * cuts: the upstream resets after three words, or the client drops its connection (a TCP reset) after
 * reading three words while the simulator holds the stream there. Each is charged the provider's input
 * where it had reported it before the cut (Anthropic's message_start, Gemini's per-chunk usageMetadata;
 * the test asks the simulator for the same body whole), else the gateway's own count; and the output
 * relayed, counted as the gateway counts (o200k_base) from the text the client actually received. The
 * request log shows that charge, and the key's spend grew by exactly the logged cost with nothing left
 * reserved. One gateway and simulator for all 40 cases.
 */
class CutStreamsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Encoding O200K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PROMPT = "Say hello to the gateway.";
    /** The simulator streams one word per event: the cut comes after these three. */
    private static final String THREE_WORDS = "Hello from the";

    enum Surface { CHAT, RESPONSES, MESSAGES, GEMINI }

    /** Each upstream, its provider in the policy, and the events its stream sends before the first word. */
    enum Upstream {
        CHAT("oai", 1), RESPONSES("oair", 4), ANTHROPIC("anth", 3), GEMINI("gem", 0), BEDROCK("bed", 1);

        final String provider;
        final int preamble;

        Upstream(String provider, int preamble) {
            this.provider = provider;
            this.preamble = preamble;
        }

        /** Whether the provider has reported the input before its first word (else only at its end). */
        boolean reportsInputFirst() {
            return this == ANTHROPIC || this == GEMINI;
        }
    }

    enum Cut { UPSTREAM_RESET, CLIENT_GONE }

    private static String model(Surface s, Upstream u, Cut c) {
        return (s + "-" + u + "-" + c).toLowerCase().replace('_', '-');
    }

    static Stream<Arguments> pairs() {
        List<Arguments> all = new ArrayList<>();
        for (Surface s : Surface.values()) {
            for (Upstream u : Upstream.values()) {
                for (Cut c : Cut.values()) {
                    all.add(Arguments.of(s, u, c));
                }
            }
        }
        return all.stream();
    }

    private static String keyId;
    private static String secret;

    @RegisterExtension
    static final StackExtension stack = StackExtension.starting(CutStreamsIT::startStack).clearingSim(StackExtension.REQUESTS, StackExtension.FAULTS);

    private static Stack startStack() throws Exception {
        keyId = "TGTEST" + random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 14);
        byte[] secretBytes = new byte[30];
        RANDOM.nextBytes(secretBytes);
        secret = Base64.getEncoder().encodeToString(secretBytes);
        StringBuilder models = new StringBuilder();
        StringBuilder pricing = new StringBuilder();
        pairs().forEach(a -> {
            Object[] p = a.get();
            Upstream u = (Upstream) p[1];
            String m = model((Surface) p[0], u, (Cut) p[2]);
            // Fresh names: no learned input ratio, and each fault reaches exactly its case's upstream call.
            models.append("  - {name: ").append(m).append(", targets: [{provider: ").append(u.provider).append(", model: ").append(m).append("}]}\n");
            pricing.append("  - {model: ").append(m).append(", input: 1000, output: 1000}\n");
        });
        String policy = """
                providers:
                  - {id: oai, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1", settings: {api: chat}}
                  - {id: oair, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1", settings: {api: responses}}
                  - {id: anth, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: gem, kind: gemini, base_url: "http://127.0.0.1:SIM_PORT/v1beta"}
                  - id: bed
                    kind: bedrock
                    base_url: http://127.0.0.1:SIM_PORT
                    credential: env:TG_BEDROCK_SECRET
                    settings: {region: us-east-1, access-key-id: env:TG_BEDROCK_KEY_ID}
                models:
                %spricing:
                %sadmins:
                  - {id: ops, role: viewer, sha256: %s}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: dev, team: infra, sha256: %s}
                """.formatted(models, pricing, KeyHash.sha256("admin-token"), KeyHash.sha256("tg-dev"));
        return Stack.start("cut-streams", policy, Map.of("SIM_AWS_ACCESS_KEY_ID", keyId, "SIM_AWS_SECRET_ACCESS_KEY", secret,
                "TG_BEDROCK_KEY_ID", keyId, "TG_BEDROCK_SECRET", secret));
    }

    @ParameterizedTest(name = "{0} client, {1} upstream, {2}")
    @MethodSource("pairs")
    void aCutStreamIsChargedItsInputAndTheOutputRelayed(Surface surface, Upstream upstream, Cut cut) throws Exception {
        String model = model(surface, upstream, cut);
        int afterEvents = upstream.preamble + 3;
        String fault = cut == Cut.UPSTREAM_RESET ? "reset_after_chunks" : "hold_after_chunks";
        HttpResponse<String> queued = stack.get().post(stack.get().sim("/_sim/faults"),
                "{\"faults\":[{\"" + fault + "\":" + afterEvents + ",\"model\":\"" + model + "\"}]}");
        assertEquals(200, queued.statusCode(), queued.body());
        BigDecimal spentBefore = spend().path("spent_usd").decimalValue();

        Streamed streamed = stream(surface, model, cut);
        assertEquals(THREE_WORDS, streamed.text.toString(), "the client got the three words before the cut: " + streamed.raw);

        JsonNode record = logged(streamed.requestId);
        long input = upstream.reportsInputFirst() ? providersInput(upstream, model) : countedInput(surface);
        long output = Math.max(O200K.countTokensOrdinary(streamed.text.toString()), providersOutputSoFar(upstream, cut, afterEvents));
        assertEquals(input, record.path("tokens").path("input").asLong(), "input charged: " + record);
        assertEquals(output, record.path("tokens").path("output").asLong(), "output charged: " + record);
        BigDecimal cost = record.path("cost_usd").decimalValue();
        assertEquals(0, BigDecimal.valueOf(input + output, 3).compareTo(cost), "$1000 per million tokens: " + record);
        assertTrue(record.path("notes").asText().contains("Stream cut short"), "the request log says why: " + record);

        JsonNode after = spend();
        assertEquals(0, after.path("spent_usd").decimalValue().subtract(spentBefore).compareTo(cost),
                "the key's spend grew by exactly the logged cost: " + after);
        assertEquals(0, after.path("in_flight_usd").decimalValue().signum(), "nothing is left reserved: " + after);
    }

    // --- the request ------------------------------------------------------------------------------------------

    private record Streamed(String requestId, StringBuilder text, String raw) {
    }

    private static Streamed stream(Surface surface, String model, Cut cut) throws Exception {
        String path;
        String body;
        switch (surface) {
            case CHAT -> {
                path = "/v1/chat/completions";
                body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
            }
            case RESPONSES -> {
                path = "/v1/responses";
                body = "{\"model\":\"" + model + "\",\"stream\":true,\"input\":\"" + PROMPT + "\"}";
            }
            case MESSAGES -> {
                path = "/anthropic/v1/messages";
                body = "{\"model\":\"" + model + "\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
            }
            case GEMINI -> {
                path = "/genai/v1beta/models/" + model + ":streamGenerateContent?alt=sse";
                body = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"" + PROMPT + "\"}]}]}";
            }
            default -> throw new IllegalStateException();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), stack.get().gatewayPort)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer tg-dev\r\n"
                    + "x-goog-api-key: tg-dev\r\ncontent-length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            ChunkedEvents events = new ChunkedEvents(socket.getInputStream());
            assertEquals(200, events.status, "the stream started");
            StringBuilder text = new StringBuilder();
            StringBuilder raw = new StringBuilder();
            String event;
            while ((event = events.next()) != null) {
                raw.append(event).append("\n\n");
                text.append(textOf(surface, event));
                if (cut == Cut.CLIENT_GONE && text.toString().equals(THREE_WORDS)) {
                    // A TCP reset, not a polite close: the gateway's next write fails at once.
                    socket.setSoLinger(true, 0);
                    socket.close();
                    HttpResponse<String> released = stack.get().post(stack.get().sim("/_sim/faults/release"), "{}");
                    assertEquals(200, released.statusCode(), released.body());
                    break;
                }
            }
            return new Streamed(events.requestId, text, raw.toString());
        }
    }

    /** The generated text in one event of the surface's dialect. */
    private static String textOf(Surface surface, String event) throws IOException {
        StringBuilder data = new StringBuilder();
        for (String line : event.split("\n")) {
            if (line.startsWith("data:")) {
                data.append(line.substring(5).strip());
            }
        }
        if (data.isEmpty() || data.toString().equals("[DONE]")) {
            return "";
        }
        JsonNode e = JSON.readTree(data.toString());
        return switch (surface) {
            case CHAT -> e.path("choices").path(0).path("delta").path("content").asText("");
            case RESPONSES -> e.path("type").asText().equals("response.output_text.delta") ? e.path("delta").asText() : "";
            case MESSAGES -> e.path("type").asText().equals("content_block_delta") ? e.path("delta").path("text").asText("") : "";
            case GEMINI -> {
                StringBuilder t = new StringBuilder();
                e.path("candidates").path(0).path("content").path("parts").forEach(p -> t.append(p.path("text").asText("")));
                yield t.toString();
            }
        };
    }

    /** An HTTP/1.1 response read by hand (so the test can reset the connection): status, headers, then SSE events. */
    private static final class ChunkedEvents {
        private final InputStream in;
        final int status;
        final String requestId;
        private final boolean chunked;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private boolean ended;

        ChunkedEvents(InputStream in) throws IOException {
            this.in = in;
            String statusLine = line();
            status = Integer.parseInt(statusLine.split(" ")[1]);
            String id = null;
            boolean isChunked = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                String lower = h.toLowerCase();
                if (lower.startsWith("x-tollgate-request-id:")) {
                    id = h.substring(h.indexOf(':') + 1).strip();
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    isChunked = true;
                }
            }
            requestId = id;
            chunked = isChunked;
        }

        /** The next event (without its blank line), or null at the end of the body or of the connection. */
        String next() throws IOException {
            while (true) {
                String buffered = pending.toString(StandardCharsets.UTF_8);
                int end = buffered.indexOf("\n\n");
                if (end >= 0) {
                    pending.reset();
                    pending.writeBytes(buffered.substring(end + 2).getBytes(StandardCharsets.UTF_8));
                    return buffered.substring(0, end);
                }
                if (ended || !fill()) {
                    ended = true;
                    return null;
                }
            }
        }

        private boolean fill() throws IOException {
            try {
                if (!chunked) {
                    byte[] buf = new byte[4096];
                    int n = in.read(buf);
                    if (n < 0) {
                        return false;
                    }
                    pending.write(buf, 0, n);
                    return true;
                }
                String size = line();
                if (size.isEmpty()) {
                    return false;
                }
                int n = Integer.parseInt(size.split(";")[0].strip(), 16);
                if (n == 0) {
                    return false;
                }
                pending.writeBytes(in.readNBytes(n));
                line();
                return true;
            } catch (IOException | NumberFormatException e) {
                return false; // the upstream reset reached the client as a broken response
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    // --- the expectations -------------------------------------------------------------------------------------

    /**
     * The gateway's own count of the client's body: o200k tokens of the prompt plus three per JSON object
     * (OpenAI's documented per-message framing); the model, role and flags are not counted.
     */
    private static long countedInput(Surface surface) {
        int objects = switch (surface) {
            case CHAT, MESSAGES -> 2; // the body and the message
            case RESPONSES -> 1;
            case GEMINI -> 3; // the body, the content and the part
        };
        return 3L * objects + O200K.countTokensOrdinary(PROMPT);
    }

    /**
     * The output count the provider had reported in the last event the gateway read, which wins when it is
     * more than the text relayed: Gemini puts its running count on every chunk (the simulator one word per
     * chunk), and when the client is gone the gateway has read one chunk more than it could write.
     */
    private static long providersOutputSoFar(Upstream upstream, Cut cut, int afterEvents) {
        if (upstream != Upstream.GEMINI) {
            return 0; // reported at the end only (Anthropic's message_start says 1, the final count comes in message_delta)
        }
        return cut == Cut.CLIENT_GONE ? afterEvents + 1 : afterEvents;
    }

    /** The input the provider reported for this call: the simulator asked again, directly, for the whole answer to the same body. */
    private static long providersInput(Upstream upstream, String model) throws Exception {
        JsonNode sent = null;
        for (JsonNode r : JSON.readTree(stack.get().get(stack.get().sim("/_sim/requests")).body())) {
            if (r.path("method").asText().equals("POST") && (r.path("path").asText().contains(model) || r.path("body").path("model").asText().equals(model))) {
                sent = r;
            }
        }
        assertTrue(sent != null, "the simulator saw the call");
        ObjectNode body = (ObjectNode) sent.path("body").deepCopy();
        if (upstream == Upstream.ANTHROPIC) {
            body.put("stream", false);
            JsonNode answer = JSON.readTree(stack.get().post(stack.get().sim("/v1/messages"), body.toString()).body());
            JsonNode u = answer.path("usage");
            return u.path("input_tokens").asLong() + u.path("cache_read_input_tokens").asLong() + u.path("cache_creation_input_tokens").asLong();
        }
        String path = sent.path("path").asText().replace(":streamGenerateContent", ":generateContent");
        JsonNode answer = JSON.readTree(stack.get().post(stack.get().sim(path), body.toString()).body());
        return answer.path("usageMetadata").path("promptTokenCount").asLong();
    }

    /** The request's record, once the log has it (records are written within a second). */
    private static JsonNode logged(String id) throws Exception {
        assertTrue(id != null, "the gateway names its request");
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(URI.create(stack.get().gateway("/admin/requests/" + id)))
                .header("authorization", "Bearer admin-token").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return JSON.readTree(r.body());
            }
            assertTrue(System.nanoTime() < deadline, "request " + id + " never reached the request log: " + r.body());
            Thread.sleep(20);
        }
    }

    /** The dev key's spend over all time, from {@code /v1/usage}. */
    private static JsonNode spend() throws Exception {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.get().gateway("/v1/usage")))
                .header("authorization", "Bearer tg-dev").build(), HttpResponse.BodyHandlers.ofString()).body()).path("spend").path("total");
    }

    private static String random(String alphabet, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return b.toString();
    }
}
