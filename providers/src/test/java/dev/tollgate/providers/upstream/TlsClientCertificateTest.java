package dev.tollgate.providers.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream requiring a client certificate the provider does not have. In TLS 1.3 the server's
 * refusal comes after the client's handshake: as an alert, or as a broken pipe on the first write,
 * whichever wins the race. Either way the answer names the client certificate.
 */
class TlsClientCertificateTest {

    @TempDir
    Path dir;

    @RepeatedTest(5)
    void aMissingClientCertificateIsNamedWhicheverWayTheRefusalArrives() throws Exception {
        TestCerts.Issued ca = TestCerts.ca("corp-ca");
        Path bundle = ca.writeCert(dir.resolve("ca.pem"));
        SSLServerSocket server = (SSLServerSocket) TestCerts.serving(TestCerts.leaf(ca, TestCerts.keys("EC"), "localhost"), ca)
                .getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.getInputStream().read(); // the handshake, then the refusal
                } catch (Exception e) {
                    // refused
                }
            }
        });
        try (server) {
            URI uri = URI.create("https://localhost:" + server.getLocalPort() + "/v1/chat/completions");
            Provider provider = new Provider("internal", ProviderKind.of("openai-compatible"), uri, List.of(), Map.of(), Map.of(),
                    new Provider.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)), Provider.Breaker.DEFAULT,
                    new Provider.Tls(Optional.of(bundle), Optional.empty(), Optional.empty()));
            UpstreamException e = assertThrows(UpstreamException.class, () -> new UpstreamClient().send(
                    new UpstreamRequest(uri, Map.of(), "{}".getBytes(StandardCharsets.UTF_8)), provider).close());
            assertEquals(UpstreamException.Kind.REFUSED, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("client certificate") && e.getMessage().contains("tls.client_cert"), e.getMessage());
        }
    }
}
