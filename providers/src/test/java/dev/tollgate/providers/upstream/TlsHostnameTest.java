package dev.tollgate.providers.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TLS upstream whose certificate names another host: refused with words that say so, never sent to anyway. */
class TlsHostnameTest {

    @TempDir
    Path dir;

    /** An HTTPS server on loopback presenting {@code leaf}; counts requests it got past the handshake. */
    private static final class TlsServer implements AutoCloseable {
        final SSLServerSocket socket;
        final AtomicInteger requests = new AtomicInteger();

        TlsServer(TestCerts.Issued leaf, TestCerts.Issued ca) throws Exception {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(TlsContexts.keyManagers(List.of(leaf.cert(), ca.cert()), leaf.keys().getPrivate(), "test"), null, null);
            socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (SSLSocket s = (SSLSocket) socket.accept()) {
                        InputStream in = s.getInputStream();
                        int matched = 0;
                        while (matched < 4) {
                            int b = in.read();
                            if (b < 0) {
                                break;
                            }
                            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
                        }
                        if (matched == 4) {
                            requests.incrementAndGet();
                            OutputStream out = s.getOutputStream();
                            out.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                            out.flush();
                        }
                    } catch (Exception e) {
                        // a refused handshake: next connection
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    private Provider provider(URI base, Path caBundle) {
        return new Provider("internal", ProviderKind.of("openai-compatible"), base, List.of(), Map.of(), Map.of(),
                new Provider.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)), Provider.Breaker.DEFAULT,
                new Provider.Tls(Optional.of(caBundle), Optional.empty(), Optional.empty()));
    }

    @Test
    void aCertificateForAnotherHostIsRefusedNamingTheMismatch() throws Exception {
        TestCerts.Issued ca = TestCerts.ca("corp-ca");
        Path bundle = ca.writeCert(dir.resolve("ca.pem"));
        KeyPair keys = TestCerts.keys("EC");
        try (TlsServer server = new TlsServer(TestCerts.leaf(ca, keys, "localhost"), ca)) {
            UpstreamClient client = new UpstreamClient();
            URI named = URI.create("https://localhost:" + server.port() + "/v1/chat/completions");
            try (UpstreamResponse r = client.send(new UpstreamRequest(named, Map.of(), "{}".getBytes(StandardCharsets.UTF_8)),
                    provider(named, bundle))) {
                assertEquals(200, r.status(), "the name on the certificate: trusted");
            }
            assertEquals(1, server.requests.get());

            URI byAddress = URI.create("https://127.0.0.1:" + server.port() + "/v1/chat/completions");
            UpstreamException e = assertThrows(UpstreamException.class, () -> client.send(
                    new UpstreamRequest(byAddress, Map.of(), "{}".getBytes(StandardCharsets.UTF_8)), provider(byAddress, bundle)).close());
            assertEquals(UpstreamException.Kind.REFUSED, e.kind());
            assertTrue(e.getMessage().startsWith("the TLS handshake with https://127.0.0.1:" + server.port() + " failed: "
                    + "the upstream's certificate does not name the host of the provider's base_url"), e.getMessage());
            assertFalse(e.getMessage().contains("Exception") || e.getMessage().contains("sun.security"), e.getMessage());
            assertEquals(1, server.requests.get(), "nothing was sent over the refused connection");
        }
    }
}
