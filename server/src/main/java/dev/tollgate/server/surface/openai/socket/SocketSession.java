package dev.tollgate.server.surface.openai.socket;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.sse.SseEvent;
import dev.tollgate.providers.sse.SseReader;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.call.Transport;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.OpenAiErrors;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.Header;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Responses WebSocket connection. Each {@code response.create} text frame is served as a
 * streamed {@code POST {base}/responses} through the gateway itself (see {@link Loopback}), its
 * server-sent events going back as text frames, one event a frame; one response at a time. The
 * connection keeps its latest response ({@link Conversation}) so a frame may name it as
 * {@code previous_response_id} and send only new items: the gateway sends the upstream the whole
 * history, since it keeps nothing across requests and Codex asks for {@code store: false}.
 * {@code generate: false} (Codex's pre-warm) is answered at once, without an upstream call.
 */
final class SocketSession implements WsListener {

    private static final Logger LOG = Logger.getLogger(SocketSession.class.getName());

    /** Close codes (RFC 6455). */
    static final int NORMAL = 1000;
    static final int GOING_AWAY = 1001;
    static final int POLICY = 1008;
    static final int TOO_BIG = 1009;

    /** Headers of the upgrade that go on each response's request: what an HTTP client would send every time. */
    private static final Set<String> CARRIED = Set.of("authorization", "x-api-key", "originator", "session_id", "session-id",
            "thread-id", "x-client-request-id", "version", "user-agent", "x-tollgate-session", "x-tollgate-agent", "x-tollgate-fallbacks");

    private final ResponsesSocket owner;
    private final String id;
    private final Conversation conversation;
    private final StringBuilder pending = new StringBuilder();
    /** The response in flight (a token of its own), or null: one at a time. */
    private final AtomicReference<Object> turn = new AtomicReference<>();
    /** The token of the response the current thread serves, on that thread. */
    private static final ThreadLocal<Object> TURN = new ThreadLocal<>();
    private final Object sending = new Object();
    private volatile WsSession session;
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean closed;
    private String responsesPath = "/v1/responses";
    private Map<String, String> carried = Map.of();
    private boolean tooBig;
    private GatewayError refusedAtUpgrade;

    SocketSession(ResponsesSocket owner, String id) {
        this.owner = owner;
        this.id = id;
        this.conversation = new Conversation(owner.maxMessageBytes());
    }

    String id() {
        return id;
    }

    // ---- the connection -------------------------------------------------------------------------

    /**
     * The key is checked at the upgrade. Helidon 4.5 can only refuse an upgrade with a bare 400, so a
     * refused key gets its socket, then at once the transport's error event (401 and OpenAI's error
     * object, as Codex reads it) and close code 1008; no frame of it is read.
     */
    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        refusedAtUpgrade = owner.refusesKey(headers).orElse(null);
        responsesPath = prologue.uriPath().path();
        Map<String, String> kept = new LinkedHashMap<>();
        for (Header h : headers) {
            String name = h.name().toLowerCase(Locale.ROOT);
            if (CARRIED.contains(name) || name.startsWith("x-codex-")) {
                kept.put(name, h.get());
            }
        }
        carried = kept;
        return Optional.empty();
    }

    @Override
    public void onOpen(WsSession session) {
        this.session = session;
        if (refusedAtUpgrade != null) {
            error(refusedAtUpgrade, null);
            close(POLICY, "the key was refused: " + refusedAtUpgrade.getClass().getSimpleName());
            return;
        }
        owner.opened(this);
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        closed = true;
        owner.closed(this);
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        LOG.log(Level.FINE, "socket " + id + " failed: " + t.getClass().getName());
        closed = true;
        owner.closed(this);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        if (refusedAtUpgrade != null) {
            return;
        }
        lastActivity = System.nanoTime();
        if (tooBig) {
            tooBig = !last; // the rest of a message already refused
            return;
        }
        if (pending.length() + text.length() > owner.maxMessageBytes()) {
            pending.setLength(0);
            pending.trimToSize();
            tooBig = !last;
            error(new GatewayError.BodyTooLarge(owner.maxMessageBytes()), null);
            close(TOO_BIG, "message over " + owner.maxMessageBytes() + " bytes");
            return;
        }
        pending.append(text);
        if (!last) {
            return;
        }
        String message = pending.toString();
        pending.setLength(0);
        if (message.length() > 1 << 20) {
            pending.trimToSize();
        }
        frame(message);
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        lastActivity = System.nanoTime();
        if (last) {
            error(bad("Binary frames are not part of the Responses WebSocket protocol: send each event as a JSON text frame.", null), null);
        }
    }

    // ---- frames ---------------------------------------------------------------------------------

    private void frame(String message) {
        JsonNode event;
        try {
            event = JsonBody.MAPPER.readTree(message);
        } catch (JsonProcessingException e) {
            error(bad("The frame is not JSON (at character " + (e.getLocation() == null ? 0 : e.getLocation().getCharOffset()) + "). Send {\"type\":\"response.create\", \"model\": ..., \"input\": [...]}.", null), null);
            return;
        }
        if (event == null || !event.isObject()) {
            error(bad("A frame must be a JSON object with a \"type\", e.g. {\"type\":\"response.create\", ...}.", "type"), null);
            return;
        }
        String type = event.path("type").asText("");
        switch (type) {
            case "response.create" -> create((ObjectNode) event);
            case "response.processed" -> { } // Codex's acknowledgement; nothing to do
            default -> error(bad("Unknown frame type '" + printable(type) + "': this socket takes \"response.create\".", "type"), null);
        }
    }

    private void create(ObjectNode event) {
        Object token = new Object();
        if (!turn.compareAndSet(null, token)) {
            // Nothing is sent upstream or reserved for it: the response in flight goes on untouched.
            error(new GatewayError.BadRequest("A response is already in progress on this connection: send the next "
                    + "response.create after its response.completed (or response.failed), or open another connection.", null),
                    "conversation_already_has_active_response");
            return;
        }
        Thread.ofVirtual().name("tollgate-socket-" + id).start(() -> {
            TURN.set(token);
            try {
                if (!owner.enter()) {
                    error(new GatewayError.Draining(), null);
                    close(GOING_AWAY, "the gateway is shutting down");
                    return;
                }
                try {
                    respond(event);
                } finally {
                    owner.exit();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "socket " + id + " response failed: " + oneLine(e));
                error(new GatewayError.Internal(id), null);
            } finally {
                lastActivity = System.nanoTime();
                turn.compareAndSet(token, null);
                TURN.remove();
                if (owner.draining()) {
                    close(GOING_AWAY, "the gateway is shutting down");
                }
            }
        });
    }

    /** One response: the whole input made from the chain, then the gateway's own POST, its events relayed. */
    private void respond(ObjectNode event) {
        event.remove("type");
        boolean generate = event.path("generate").asBoolean(true);
        event.remove("generate");
        ArrayNode input = asItems(event.get("input"));
        if (input == null) {
            error(bad("'input' must be a string or a list of input items.", "input"), null);
            return;
        }
        JsonNode previous = event.get("previous_response_id");
        if (previous != null && previous.isTextual()) {
            switch (conversation.lookup(previous.asText())) {
                case Conversation.Lookup.Known known -> {
                    known.history().addAll(input);
                    input = known.history();
                    event.remove("previous_response_id");
                }
                case Conversation.Lookup.Forgotten f -> {
                    error(new GatewayError.BadRequest("Previous response '" + printable(f.id()) + "' is no longer held: its conversation "
                            + "grew past this connection's bound of " + owner.maxMessageBytes() + " bytes. Send the whole input "
                            + "without previous_response_id.", "previous_response_id"), "previous_response_not_found");
                    return;
                }
                case Conversation.Lookup.Unknown u -> input = null; // not ours: the request goes as it came
            }
        }
        if (input != null) {
            event.set("input", input);
        }
        event.put("stream", true);
        byte[] body = JsonBody.utf8(event.toString());
        if (body.length > owner.maxMessageBytes()) {
            error(new GatewayError.BodyTooLarge(owner.maxMessageBytes()), null);
            return;
        }
        ArrayNode whole = input != null ? input : asItems(event.get("input"));
        if (!generate) {
            prewarm(event, whole, body.length);
            return;
        }
        relay(body, whole, turnHeaders(event.get("client_metadata")));
    }

    /**
     * Codex sends each turn's metadata ({@code x-codex-turn-metadata}, {@code x-codex-window-id}, ...)
     * in the frame's {@code client_metadata}, where over HTTP it sends headers: they go on this
     * response's POST in place of the upgrade's, so the provider sees each turn's own. Only
     * {@code x-codex-} names with values a header can hold are taken; the body keeps the field as sent.
     */
    static Map<String, String> turnHeaders(JsonNode metadata) {
        if (metadata == null || !metadata.isObject()) {
            return Map.of();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        metadata.properties().forEach(e -> {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            JsonNode v = e.getValue();
            if (name.startsWith("x-codex-") && name.length() <= 64 && name.chars().allMatch(c -> c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
                    && v.isTextual() && v.asText().length() <= Call.MAX_PASS_HEADER && v.asText().chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                headers.put(name, v.asText());
            }
        });
        return headers;
    }

    /** {@code generate: false}: the key and model are checked as for any call, and nothing is generated or charged. */
    private void prewarm(ObjectNode event, ArrayNode input, long inputBytes) {
        Optional<GatewayError> refused = owner.refusesPrewarm(carried, event.path("model").asText(""));
        if (refused.isPresent()) {
            error(refused.get(), null);
            return;
        }
        String responseId = "resp_" + owner.newId();
        ObjectNode response = JsonBody.MAPPER.createObjectNode().put("id", responseId).put("object", "response")
                .put("created_at", System.currentTimeMillis() / 1000).put("model", event.path("model").asText(""));
        response.put("status", "in_progress");
        response.putArray("output");
        send(JsonBody.MAPPER.createObjectNode().put("type", "response.created").put("sequence_number", 0).set("response", response.deepCopy()));
        response.put("status", "completed");
        ObjectNode usage = response.putObject("usage").put("input_tokens", 0).put("output_tokens", 0).put("total_tokens", 0);
        usage.putObject("input_tokens_details").put("cached_tokens", 0);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        conversation.completed(responseId, input, List.of(), inputBytes);
        terminal();
        send(JsonBody.MAPPER.createObjectNode().put("type", "response.completed").put("sequence_number", 1).set("response", response));
    }

    private void relay(byte[] body, ArrayNode input, Map<String, String> turn) {
        Map<String, String> headers = new LinkedHashMap<>(carried);
        headers.putAll(turn);
        headers.put("content-type", "application/json");
        headers.put("accept", "text/event-stream");
        headers.put(Transport.SOCKET_HEADER, Transport.socketMark(id));
        HttpResponse<InputStream> answer;
        try {
            answer = owner.loopback().post(responsesPath, headers, body);
        } catch (IOException e) {
            error(new GatewayError.UpstreamFailed("The gateway could not serve this response (" + e.getMessage() + "). Retry."), null);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(new GatewayError.Draining(), null);
            return;
        }
        try (InputStream in = answer.body()) {
            String contentType = answer.headers().firstValue("content-type").orElse("");
            if (answer.statusCode() >= 300 || !contentType.startsWith("text/event-stream")) {
                relayError(answer, in);
                return;
            }
            List<JsonNode> output = new ArrayList<>();
            String completedId = null;
            boolean ended = false;
            SseReader reader = new SseReader(in);
            for (SseEvent e = reader.next(); e != null; e = reader.next()) {
                String data = new String(e.data(), StandardCharsets.UTF_8);
                if (data.isEmpty() || "[DONE]".equals(data)) {
                    continue;
                }
                if (data.contains("\"response.output_item.done\"") || data.contains("\"response.completed\"")
                        || data.contains("\"response.failed\"") || data.contains("\"response.incomplete\"")) {
                    JsonNode parsed = JsonBody.MAPPER.readTree(data);
                    switch (parsed.path("type").asText()) {
                        case "response.output_item.done" -> output.add(parsed.path("item"));
                        case "response.completed" -> {
                            completedId = parsed.path("response").path("id").asText(null);
                            if (completedId != null && input != null) {
                                conversation.completed(completedId, input, output, body.length);
                            }
                            ended = true;
                            terminal();
                        }
                        case "response.failed", "response.incomplete" -> {
                            ended = true;
                            terminal();
                        }
                        default -> { }
                    }
                }
                if (!send(data)) {
                    return; // the client left; the gateway's own request ends as a client that went away
                }
            }
            if (!ended) {
                error(new GatewayError.UpstreamFailed("The response ended before response.completed. Retry."), null);
            }
        } catch (IOException e) {
            error(new GatewayError.UpstreamFailed("The response broke off (" + e.getMessage() + "). Retry."), null);
        }
    }

    /** The gateway's refusal or the provider's error answer, as the transport's error event with its status and headers. */
    private void relayError(HttpResponse<InputStream> answer, InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(1 << 20);
        ObjectNode event = JsonBody.MAPPER.createObjectNode().put("type", "error").put("status", answer.statusCode());
        JsonNode parsed;
        try {
            parsed = JsonBody.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            parsed = null;
        }
        if (parsed != null && parsed.path("error").isObject()) {
            event.set("error", parsed.path("error"));
        } else {
            event.set("error", OpenAiErrors.body(new GatewayError.UpstreamFailed("The gateway answered HTTP " + answer.statusCode()
                    + " without an error object. Retry.")).path("error"));
        }
        ObjectNode headers = event.putObject("headers");
        answer.headers().map().forEach((name, values) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.equals("retry-after") || n.startsWith("x-ratelimit-") || n.equals("x-tollgate-request-id")) {
                headers.put(n, values.getFirst());
            }
        });
        terminal();
        send(event.toString());
    }

    // ---- writing --------------------------------------------------------------------------------

    /**
     * The error event Codex reads: {@code {"type":"error","status":N,"error":{message,type,param,code}}}
     * ({@code code} replaces the error's own code when given), with {@code headers} such as Retry-After.
     */
    void error(GatewayError error, String code) {
        ObjectNode event = JsonBody.MAPPER.createObjectNode().put("type", "error").put("status", error.status());
        ObjectNode body = (ObjectNode) OpenAiErrors.body(error).path("error");
        if (code != null) {
            body.put("code", code);
        }
        event.set("error", body);
        if (!error.headers().isEmpty()) {
            ObjectNode headers = event.putObject("headers");
            error.headers().forEach(headers::put);
        }
        terminal();
        send(event.toString());
    }

    /**
     * The response's last event goes out next: the connection takes the next response.create from now
     * on (a client may send it the moment it reads this event).
     */
    private void terminal() {
        Object token = TURN.get();
        if (token != null) {
            turn.compareAndSet(token, null);
        }
    }

    private boolean send(JsonNode event) {
        return send(event.toString());
    }

    /** Sends one text frame; false when the connection is gone. Frames of one connection never interleave. */
    private boolean send(String text) {
        WsSession s = session;
        if (s == null || closed) {
            return false;
        }
        synchronized (sending) {
            try {
                s.send(text, true);
                return true;
            } catch (RuntimeException e) {
                closed = true;
                return false;
            }
        }
    }

    void close(int code, String reason) {
        WsSession s = session;
        if (s == null || closed) {
            return;
        }
        synchronized (sending) {
            try {
                s.close(code, reason);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "socket " + id + " was already gone");
            }
        }
        closed = true;
    }

    /** Idle: no frame for {@code nanos} and no response in flight. */
    boolean idleFor(long nanos, long now) {
        return turn.get() == null && now - lastActivity > nanos;
    }

    boolean busy() {
        return turn.get() != null;
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static GatewayError bad(String message, String param) {
        return new GatewayError.BadRequest(message, param);
    }

    /** A string input as one user message, a list as it is; null for anything else. */
    private static ArrayNode asItems(JsonNode input) {
        if (input == null || input.isNull()) {
            return Conversation.emptyInput();
        }
        if (input.isArray()) {
            return (ArrayNode) input;
        }
        if (input.isTextual()) {
            ArrayNode items = Conversation.emptyInput();
            ObjectNode message = items.addObject().put("type", "message").put("role", "user");
            message.putArray("content").addObject().put("type", "input_text").put("text", input.asText());
            return items;
        }
        return null;
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static String oneLine(Throwable t) {
        StackTraceElement[] frames = t.getStackTrace();
        return t.getClass().getName() + (frames.length > 0 ? " at " + frames[0] : "");
    }
}
