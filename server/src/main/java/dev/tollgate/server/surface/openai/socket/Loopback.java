package dev.tollgate.server.surface.openai.socket;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
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

    private final HttpClient client;
    private final String scheme;
    private final String host;
    private final IntSupplier port;

    /**
     * @param bindHost the host the listener binds; a wildcard is reached on loopback
     * @param served   on an HTTPS listener, the certificate it serves now (rotated files included); null on HTTP
     */
    Loopback(String bindHost, IntSupplier port, Supplier<X509Certificate> served) {
        this.host = reachable(bindHost);
        this.port = port;
        this.scheme = served == null ? "http" : "https";
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        if (served != null) {
            b.sslContext(pinned(served));
        }
        this.client = b.build();
    }

    /**
     * TLS to this very listener: the one certificate it serves is trusted, and nothing else. The
     * listener's name does not matter (it is reached by address), the exact certificate does.
     */
    private static SSLContext pinned(Supplier<X509Certificate> served) {
        X509ExtendedTrustManager trust = new X509ExtendedTrustManager() {
            private void check(X509Certificate[] chain) throws CertificateException {
                if (chain == null || chain.length == 0 || !chain[0].equals(served.get())) {
                    throw new CertificateException("not the certificate this gateway serves");
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
                throw new CertificateException("a client of its own listener only");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
                throw new CertificateException("a client of its own listener only");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("a client of its own listener only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trust}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JDK", e);
        }
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
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + "://" + host + ":" + port.getAsInt() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    }
}
