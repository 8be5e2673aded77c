package dev.tollgate.bench;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The floor under any gateway built on this stack: a Helidon SE server with the gateway's server
 * settings that hands each chat request's bytes to one upstream over kept-alive plain sockets and
 * the answer back, with no parsing, policy, accounting, logging or metrics. {@code make bench} runs it
 * beside the gateway (with the gateway's JVM flags), so a run shows how much of the gateway's CPU per
 * request the machine charges for a proxy's extra socket wake-ups and how much is the gateway's own code.
 *
 * <p>Only what the bench sends: {@code POST /v1/chat/completions} answered with a {@code Content-Length}
 * body (no streaming), and {@code GET /health}.
 */
public final class BareRelay {

    private static final byte[] HEAD_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress upstream;
    private final byte[] requestHead;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    private BareRelay(URI upstream) {
        this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.requestHead = ("POST /v1/chat/completions HTTP/1.1\r\nHost: " + upstream.getHost() + ":" + upstream.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: ").getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) {
        if (args.length != 4 || !args[0].equals("--port") || !args[2].equals("--upstream")) {
            System.err.println("usage: BareRelay --port N --upstream http://127.0.0.1:P");
            System.exit(2);
        }
        BareRelay relay = new BareRelay(URI.create(args[3]));
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(Integer.parseInt(args[1]))
                .connectionOptions(o -> o.tcpNoDelay(true))
                .addProtocol(Http1Config.builder().validateResponseHeaders(false).build())
                .routing(r -> r.post("/v1/chat/completions", relay::relay).get("/health", (req, res) -> res.send("ok")))
                .build()
                .start();
        System.out.println("bare relay listening on http://127.0.0.1:" + server.port() + " for " + args[3]);
    }

    private void relay(ServerRequest req, ServerResponse res) throws IOException {
        byte[] body = req.content().inputStream().readAllBytes();
        Connection c = idle.pollFirst();
        if (c == null) {
            c = new Connection(upstream);
        }
        try {
            Answer answer = c.exchange(requestHead, body);
            idle.addFirst(c);
            res.status(Status.create(answer.status()))
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .send(answer.body());
        } catch (IOException e) {
            c.close();
            res.status(Status.BAD_GATEWAY_502).send("upstream: " + e.getMessage());
        }
    }

    private record Answer(int status, byte[] body) {
    }

    /** One kept-alive HTTP/1.1 connection; used by one request at a time. */
    private static final class Connection {

        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Connection(InetSocketAddress address) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(address);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        }

        Answer exchange(byte[] requestHead, byte[] body) throws IOException {
            byte[] length = (body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] request = new byte[requestHead.length + length.length + body.length];
            System.arraycopy(requestHead, 0, request, 0, requestHead.length);
            System.arraycopy(length, 0, request, requestHead.length, length.length);
            System.arraycopy(body, 0, request, requestHead.length + length.length, body.length);
            out.write(request);
            String answerHead = readHead();
            int status = Integer.parseInt(answerHead.substring(9, 12));
            int contentLength = -1;
            for (String line : answerHead.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                    contentLength = Integer.parseInt(line.substring(colon + 1).trim());
                }
            }
            if (contentLength < 0) {
                throw new IOException("the upstream's answer has no Content-Length");
            }
            return new Answer(status, in.readNBytes(contentLength));
        }

        private String readHead() throws IOException {
            StringBuilder s = new StringBuilder(256);
            int matched = 0;
            while (matched < HEAD_END.length) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the upstream closed the connection");
                }
                s.append((char) b);
                matched = b == HEAD_END[matched] ? matched + 1 : (b == HEAD_END[0] ? 1 : 0);
            }
            return s.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }
}
