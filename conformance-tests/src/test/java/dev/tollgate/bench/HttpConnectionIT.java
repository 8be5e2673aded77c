package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client against a canned loopback server: keep-alive, chunked, a server-side close, reconnect. */
class HttpConnectionIT {

    private static final byte[] REQUEST =
            "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII);

    @Test
    void reusesTheConnectionAndReconnectsAfterAClose() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        String[] answers = {
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye",
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        };
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread serverThread = Thread.ofPlatform().daemon().start(() -> serve(server, answers, accepted));
            try (HttpConnection conn = new HttpConnection("127.0.0.1", server.getLocalPort())) {
                assertEquals(2, conn.exchange(REQUEST).bodyBytes());
                assertEquals(3, conn.exchange(REQUEST).bodyBytes());
                assertEquals(3, conn.exchange(REQUEST).bodyBytes());
                assertEquals(500, conn.exchange(REQUEST).status());
            }
            serverThread.join();
        }
        assertEquals(2, accepted.get());
    }

    /** Answers each request (read as a 2-byte body after the head) in turn; closes after a Connection: close. */
    private static void serve(ServerSocket server, String[] answers, AtomicInteger accepted) {
        int next = 0;
        try {
            while (next < answers.length) {
                try (Socket s = server.accept()) {
                    accepted.incrementAndGet();
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    while (next < answers.length) {
                        in.readNBytes(REQUEST.length);
                        String answer = answers[next++];
                        out.write(answer.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        if (answer.contains("Connection: close")) {
                            break;
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
