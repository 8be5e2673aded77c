package dev.tollgate.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that answers every request with a 200 event-stream head and then either hangs up or
 * goes silent: what a web server would never let a handler do, so it is a raw socket.
 */
final class HeadOnlyUpstream implements AutoCloseable {

    private final ServerSocket server;
    private final boolean hangUp;
    final AtomicInteger requests = new AtomicInteger();

    HeadOnlyUpstream(boolean hangUp) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.hangUp = hangUp;
        Thread.ofVirtual().start(this::serve);
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> answer(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void answer(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.append((char) b);
            }
            int length = head.toString().lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                    .map(l -> Integer.parseInt(l.substring(15).trim())).findFirst().orElse(0);
            in.readNBytes(length);
            requests.incrementAndGet();
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (!hangUp) {
                in.read(); // silent until the gateway hangs up
            }
        } catch (IOException ignored) {
            // the gateway hung up
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
