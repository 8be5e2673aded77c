package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** One {@code response.create} over the Responses WebSocket, read to its end: the last event (completed or error). */
final class SocketTurn {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SocketTurn() {
    }

    static String run(HttpClient client, URI uri, String key, String create) throws Exception {
        BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket ws = client.newWebSocketBuilder().header("authorization", "Bearer " + key).buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    frames.add(text.toString());
                    text.setLength(0);
                }
                socket.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        ws.sendText(create, true).get();
        String last;
        String type;
        do {
            last = frames.poll(30, TimeUnit.SECONDS);
            assertNotNull(last, "an event before the timeout");
            type = JSON.readTree(last).path("type").asText();
        } while (!type.equals("response.completed") && !type.equals("error"));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get();
        return last;
    }
}
