package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * More connections sending half a request head than the gateway process may open file descriptors:
 * it keeps serving, closes them after the head timeout, listens afterwards, and logs no stack trace.
 */
class SlowClientsIT {

    private static final int NOFILE = 512;
    private static final int SLOW_CLIENTS = 700;
    private static final String POLICY = """
            providers:
              - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
            models:
              - {name: steady, targets: [{provider: sim, model: steady-m}]}
            """;
    private static final Pattern STACK_TRACE = Pattern.compile("(?m)^\\s+at [\\w$.]+\\(|^Caused by: |Too many open files");

    @Test
    void halfHeadsBeyondTheDescriptorLimitDoNotStopTheListener() throws Exception {
        try (Stack stack = Stack.startLimited("slow-clients", POLICY, NOFILE, List.of("--head-timeout", "2", "--idle-timeout", "2"));
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(60)).build()) {
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", stack.gatewayPort), 30_000);
                    s.setSoTimeout(120_000); // a deadline far past every timeout: a read still blocked then means never closed
                    s.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty".getBytes(StandardCharsets.US_ASCII));
                    slow.add(s);
                }

                // Another client is served while the slow ones are still there (at worst once a slot frees).
                HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(stack.gateway("/health/live")))
                        .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, live.statusCode(), live.body());

                // The gateway closes every one of them: each read ends.
                int closedByServer = 0;
                for (Socket s : slow) {
                    try {
                        if (s.getInputStream().read() == -1) {
                            closedByServer++;
                        }
                    } catch (SocketException reset) {
                        closedByServer++;
                    }
                }
                assertEquals(SLOW_CLIENTS, closedByServer);
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }

            HttpResponse<String> live = stack.get(stack.gateway("/health/live"));
            assertEquals(200, live.statusCode(), live.body());
            HttpResponse<String> chat = stack.post(stack.gateway("/v1/chat/completions"),
                    "{\"model\":\"steady\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertEquals(200, chat.statusCode(), chat.body());
            assertEquals(1, SimRequests.to(stack, "/chat/completions").size(), SimRequests.all(stack));

            String log = Files.readString(stack.workDir.resolve("gateway.log"));
            assertFalse(STACK_TRACE.matcher(log).find(), "no stack trace in the gateway's log:\n" + log);
            assertFalse(log.contains("stopped accepting"), "the listener never stopped:\n" + log);
            assertTrue(log.contains("client connections at once"), "the cap was lowered to fit " + NOFILE + " descriptors:\n" + log);
        }
    }
}
