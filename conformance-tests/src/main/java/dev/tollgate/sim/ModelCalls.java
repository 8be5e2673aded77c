package dev.tollgate.sim;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The path every provider call takes: read and record the body, summarise it, apply a fault,
 * wait as configured, then answer in the endpoint's format.
 */
final class ModelCalls {
    /** What the endpoint does with the conversation. */
    enum Op { GENERATE, STREAM_GENERATE, COUNT_TOKENS, EMBED, COMPACT }

    static final HeaderName X_SIM_TTFT_MS = HeaderNames.create("x-sim-ttft-ms");
    static final HeaderName X_SIM_CHUNK_GAP_MS = HeaderNames.create("x-sim-chunk-gap-ms");
    static final HeaderName X_SIM_WORDS = HeaderNames.create("x-sim-words");
    static final HeaderName X_SIM_FAULT = HeaderNames.create("x-sim-fault");
    static final HeaderName X_AMZN_ERROR_TYPE = HeaderNames.create("x-amzn-ErrorType");

    private static final Header JSON = HeaderValues.CONTENT_TYPE_JSON;
    private static final Header EVENT_STREAM = HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    private static final Header AWS_EVENT_STREAM = HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/vnd.amazon.eventstream");
    private static final Header NO_CACHE = HeaderValues.create(HeaderNames.CACHE_CONTROL, "no-cache");
    private static final byte[] NOT_JSON = "{not json".getBytes(StandardCharsets.US_ASCII);

    private final SimOptions options;
    private final RequestLog log;
    private final FaultQueue faults;
    /** Bedrock's test key, or null when none was given. */
    private final SigV4Check sigV4;
    private final PromptCache cache;

    ModelCalls(SimOptions options, RequestLog log, FaultQueue faults, SigV4Check sigV4, PromptCache cache) {
        this.options = options;
        this.log = log;
        this.faults = faults;
        this.sigV4 = sigV4;
        this.cache = cache;
    }

    void handle(ServerRequest req, ServerResponse res, WireFormat format, Op op, String pathModel, boolean sse)
            throws IOException {
        byte[] body = req.content().hasEntity() ? req.content().inputStream().readAllBytes() : new byte[0];
        log.record(req, body);
        handle(req, res, format, op, pathModel, sse, body);
    }

    /** For a body already read and recorded. */
    void handle(ServerRequest req, ServerResponse res, WireFormat format, Op op, String pathModel, boolean sse, byte[] body)
            throws IOException {

        JsonNode root;
        try {
            root = Json.parse(body);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            sendError(res, format, 400, "The request body is not a JSON object.");
            return;
        }
        if (format instanceof BedrockFormat && refusedSignature(req, res, body)) {
            return;
        }
        Conversation read = format.read(root, pathModel);
        Conversation conv = op == Op.STREAM_GENERATE ? read.withStream(true) : read;
        if (format instanceof AnthropicFormat && op != Op.COUNT_TOKENS) {
            // Anthropic's own API holds a tool turn to its thinking; on Vertex (where Claude Code, seeing a model id it does
            // not know, sends tool turns without their thinking) only altered thinking is refused.
            String problem = AnthropicFormat.thinkingProblem(root, req.path().path().endsWith("/messages"));
            if (problem != null) {
                sendError(res, format, 400, problem);
                return;
            }
        }
        if (format instanceof GeminiFormat && op != Op.COUNT_TOKENS) {
            String problem = GeminiFormat.signatureProblem(root, conv.model());
            if (problem != null) {
                sendError(res, format, 400, problem);
                return;
            }
        }

        Fault fault;
        long ttft;
        long gap;
        int words;
        try {
            fault = faultFor(req, conv.model());
            ttft = headerNumber(req, X_SIM_TTFT_MS, options.ttftMs());
            gap = headerNumber(req, X_SIM_CHUNK_GAP_MS, options.chunkGapMs());
            words = (int) headerNumber(req, X_SIM_WORDS, options.words());
        } catch (IllegalArgumentException e) {
            sendError(res, format, 400, "provider-sim: " + e.getMessage());
            return;
        }

        if (faultPreempts(res, format, fault, conv.stream(), ttft)) {
            return;
        }

        switch (op) {
            case COMPACT -> Compactions.compact(res, root, conv);
            case COUNT_TOKENS -> {
                int tokens = conv.inputTokens();
                sendJson(res, g -> {
                    if (format instanceof AnthropicFormat a) {
                        a.writeTokenCount(tokens, g);
                    } else if (format instanceof GeminiFormat gem) {
                        gem.writeTokenCount(tokens, g);
                    }
                });
            }
            case EMBED -> {
                SseWriter.sleep(ttft);
                String model = conv.model();
                int tokens = conv.inputTokens();
                JsonNode r = root;
                sendJson(res, g -> Embeddings.write(r, model, tokens, g));
            }
            case GENERATE, STREAM_GENERATE -> {
                if (format instanceof OpenAiResponsesFormat && Compactions.triggered(root)) {
                    Compactions.stream(res, root, conv);
                    return;
                }
                PromptCache.Use cached = cache.use(format, target(req, format, conv.model()), root);
                Reply reply = new Reply(Ids.next(format.idPrefix()), conv.model(), System.currentTimeMillis() / 1000,
                        conv.inputTokens(), conv.includeUsage(), Answers.decide(conv, words, format.callIdPrefix()), format.choices(root), cached,
                        format instanceof AnthropicFormat && AnthropicFormat.thinks(root), searches(format, root));
                log.usage(body, "{\"input_tokens\":" + reply.inputTokens() + ",\"cache_read\":" + reply.cache().read()
                        + ",\"cache_write_5m\":" + reply.cache().write5m() + ",\"cache_write_1h\":" + reply.cache().write1h()
                        + ",\"output_tokens\":" + reply.outputTokens() + ",\"web_searches\":" + reply.searches() + "}");
                if (conv.stream()) {
                    stream(res, format, reply, fault, ttft, gap, sse);
                } else {
                    // A whole answer takes as long as its stream would have.
                    SseWriter.sleep(ttft + gap * Math.max(0, reply.answer().outputTokens() - 1));
                    if (fault instanceof Fault.Truncate) {
                        sendHalfJson(res, g -> format.writeJson(reply, g));
                    } else {
                        sendJson(res, g -> format.writeJson(reply, g));
                    }
                }
            }
        }
    }

    /**
     * The searches a model runs when the request offers its provider's hosted search: Anthropic's
     * {@code web_search_*} server tool runs one; Gemini's {@code google_search} grounding runs two
     * distinct queries (reported with a repeat and an empty one, as Google's answers may be).
     */
    static int searches(WireFormat format, JsonNode body) {
        for (JsonNode t : body.path("tools")) {
            if (format instanceof AnthropicFormat && t.path("type").asText("").startsWith("web_search_")) {
                return 1;
            }
            if (format instanceof GeminiFormat && (t.has("google_search") || t.has("googleSearch"))) {
                return 2;
            }
        }
        return 0;
    }

    /**
     * Whose cache a request uses: a provider keeps one per account and model, so the format, the model
     * and the credential (Bedrock's access key id, not its per-request signature), hashed.
     */
    static String target(ServerRequest req, WireFormat format, String model) {
        String credential = req.headers().first(HeaderNames.create("x-api-key"))
                .or(() -> req.headers().first(HeaderNames.create("api-key")))
                .or(() -> req.headers().first(HeaderNames.create("x-goog-api-key")))
                .or(() -> req.query().first("key").asOptional())
                .or(() -> req.headers().first(HeaderNames.AUTHORIZATION))
                .orElse("");
        int at = credential.indexOf("Credential=");
        if (at >= 0) {
            int end = credential.indexOf('/', at);
            credential = credential.substring(at, end < 0 ? credential.length() : end);
        }
        return format.getClass().getSimpleName() + "|" + model + "|" + Integer.toHexString(credential.hashCode());
    }

    /**
     * Applies the part of a fault that comes before the answer. True when the fault is the whole
     * response (an error status, or a non-streamed reset or malformed body).
     */
    private static boolean faultPreempts(ServerResponse res, WireFormat format, Fault fault, boolean stream, long ttft)
            throws IOException {
        switch (fault) {
            case Fault.Status s -> {
                sendStatusFault(res, format, s);
                return true;
            }
            case Fault.Stall s when s.afterEvents() == 0 || !stream -> SseWriter.sleep(s.ms());
            case Fault.Reset r when !stream -> throw new CloseConnectionException("simulated connection reset");
            case Fault.Malformed m when !stream -> {
                SseWriter.sleep(ttft);
                res.header(JSON);
                res.send(NOT_JSON);
                return true;
            }
            case null, default -> {
            }
        }
        return false;
    }

    private static void stream(ServerResponse res, WireFormat format, Reply reply, Fault fault, long ttft, long gap,
                               boolean sse) throws IOException {
        boolean aws = format instanceof BedrockFormat;
        res.header(aws ? AWS_EVENT_STREAM : sse ? EVENT_STREAM : JSON);
        res.header(NO_CACHE);
        OutputStream out = res.outputStream();
        JsonGenerator g = Json.generator(out);
        SseWriter writer = aws ? new SseWriter(out, fault, ttft, gap)
                : new SseWriter(g, sse ? SseWriter.Framing.SSE : SseWriter.Framing.JSON_ARRAY, fault, ttft, gap);
        try {
            format.writeStream(reply, writer);
            writer.finish();
        } catch (SseWriter.StreamCut cut) {
            // the malformed event is out; end the response normally
        }
        // Not reached after a reset fault: CloseConnectionException makes Helidon drop the socket mid-response.
        g.close();
        out.close();
    }

    private Fault faultFor(ServerRequest req, String model) {
        var header = req.headers().first(X_SIM_FAULT);
        if (header.isPresent()) {
            try {
                return Fault.parse(Json.MAPPER.readTree(header.get()));
            } catch (IOException e) {
                throw new IllegalArgumentException("x-sim-fault is not JSON: " + header.get());
            }
        }
        return faults.take(model);
    }

    private static long headerNumber(ServerRequest req, HeaderName name, long fallback) {
        var v = req.headers().first(name);
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.get().trim());
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name.defaultCase() + " needs a whole number >= 0, got '" + v.get() + "'");
        }
    }

    private static void sendStatusFault(ServerResponse res, WireFormat format, Fault.Status s) throws IOException {
        if (s.retryAfterSeconds() >= 0) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(s.retryAfterSeconds()));
        }
        if (s.body() != null) {
            res.status(Status.create(s.status()));
            res.header(JSON);
            res.send(s.body().getBytes(StandardCharsets.UTF_8));
        } else {
            sendError(res, format, s.status(), "Simulated " + s.status() + " from provider-sim.");
        }
    }

    /** Bedrock checks the SigV4 signature before anything else: 403 in its own shape when it is wrong. */
    private boolean refusedSignature(ServerRequest req, ServerResponse res, byte[] body) throws IOException {
        String[] refusal = sigV4 == null
                ? new String[] {"UnrecognizedClientException", "provider-sim has no AWS test key: start it with SIM_AWS_ACCESS_KEY_ID and SIM_AWS_SECRET_ACCESS_KEY."}
                : sigV4.refusal(req, body);
        if (refusal == null) {
            return false;
        }
        res.status(Status.FORBIDDEN_403);
        res.header(X_AMZN_ERROR_TYPE, refusal[0]);
        sendJson(res, g -> BedrockFormat.INSTANCE.writeError(403, refusal[1], g));
        return true;
    }

    static void sendError(ServerResponse res, WireFormat format, int status, String message) throws IOException {
        res.status(Status.create(status));
        if (format instanceof BedrockFormat) {
            res.header(X_AMZN_ERROR_TYPE, BedrockFormat.errorType(status));
        }
        sendJson(res, g -> format.writeError(status, message, g));
    }

    @FunctionalInterface
    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** A truncation fault's whole answer: the first half of its JSON, with a Content-Length that matches. */
    private static void sendHalfJson(ServerResponse res, JsonWriter writer) throws IOException {
        Json.Buffer buf = new Json.Buffer(1024);
        try (JsonGenerator g = Json.generator(buf)) {
            writer.write(g);
        }
        res.header(JSON);
        res.send(buf.array(), 0, buf.size() / 2);
    }

    /** Renders into a buffer first so the response has a Content-Length. */
    static void sendJson(ServerResponse res, JsonWriter writer) throws IOException {
        Json.Buffer buf = new Json.Buffer(1024);
        try (JsonGenerator g = Json.generator(buf)) {
            writer.write(g);
        }
        res.header(JSON);
        res.send(buf.array(), 0, buf.size());
    }
}
