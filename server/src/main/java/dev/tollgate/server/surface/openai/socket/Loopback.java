package dev.tollgate.server.surface.openai.socket;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The gateway's own listener, called for each {@code response.create} frame: the frame becomes a
 * {@code POST {base}/responses} with the connection's key and headers, so a response over the
 * socket passes every stage an HTTP request does (key, model checks, limits, reservation, dispatch,
 * settlement, request log, metrics) on the policy of the moment, and cannot drift from them.
 */
final class Loopback {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
    private final String host;
    private final IntSupplier port;

    /** @param bindHost the host the listener binds; a wildcard is reached on loopback */
    Loopback(String bindHost, IntSupplier port) {
        this.host = reachable(bindHost);
        this.port = port;
    }

    private static String reachable(String bindHost) {
        try {
            InetAddress bound = InetAddress.getByName(bindHost == null || bindHost.isBlank() ? "0.0.0.0" : bindHost);
            InetAddress target = bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound;
            String literal = target.getHostAddress();
            return literal.contains(":") ? "[" + literal + "]" : literal;
        } catch (UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    /** POSTs {@code body} to {@code path} (e.g. {@code /openai/responses}); the caller closes the answer's body. */
    HttpResponse<InputStream> post(String path, Map<String, String> headers, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port.getAsInt() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    }
}
