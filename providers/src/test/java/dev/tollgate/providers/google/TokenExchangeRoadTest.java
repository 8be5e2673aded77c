package dev.tollgate.providers.google;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.policy.Provider;
import dev.tollgate.policy.ProviderKind;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.upstream.EgressProxy;
import dev.tollgate.providers.upstream.TestCerts;
import dev.tollgate.providers.upstream.UpstreamClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLServerSocket;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vertex's token exchange takes the model calls' road: through the egress proxy's CONNECT, trusting
 * the provider's private CA (a TLS-inspecting proxy's), never a road of its own.
 */
class TokenExchangeRoadTest {

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();
    /** Request lines the proxy saw, and bodies the token endpoint got. */
    private final List<String> connects = new CopyOnWriteArrayList<>();
    private final List<String> exchanges = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** An HTTPS token endpoint with a certificate from a private CA, answering every POST with a token. */
    private int tokenEndpoint(TestCerts.Issued ca) throws Exception {
        KeyPair keys = TestCerts.keys("EC");
        SSLServerSocket server = (SSLServerSocket) TestCerts.serving(TestCerts.leaf(ca, keys, "localhost"), ca).getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    String head = head(s.getInputStream());
                    int at = head.toLowerCase().indexOf("content-length: ");
                    int length = Integer.parseInt(head.substring(at + 16, head.indexOf("\r\n", at)).trim());
                    exchanges.add(head + new String(s.getInputStream().readNBytes(length), StandardCharsets.UTF_8));
                    byte[] body = "{\"access_token\":\"ya29.via-proxy\",\"expires_in\":3600,\"token_type\":\"Bearer\"}".getBytes(StandardCharsets.UTF_8);
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length
                            + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().write(body);
                } catch (Exception e) {
                    // a refused handshake: the next connection
                }
            }
        });
        return server.getLocalPort();
    }

    /** A forward proxy that only tunnels: CONNECT host:port, then bytes both ways. */
    private int connectProxy() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Thread.ofVirtual().start(() -> tunnel(client));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    private void tunnel(Socket client) {
        try (client) {
            String head = head(client.getInputStream());
            String line = head.substring(0, head.indexOf("\r\n"));
            connects.add(line);
            String[] target = line.split(" ")[1].split(":");
            try (Socket upstream = new Socket(target[0], Integer.parseInt(target[1]))) {
                client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                Thread back = Thread.ofVirtual().start(() -> pump(upstream, client));
                pump(client, upstream);
                back.join();
            }
        } catch (Exception e) {
            // the tunnel ends with either side
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // closed
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String keyJson(int tokenPort) throws Exception {
        ObjectNode key = JsonBody.MAPPER.createObjectNode();
        key.put("type", "service_account");
        key.put("project_id", "p");
        key.put("private_key_id", "k1");
        key.put("private_key", TestCerts.pem(new JcaPKCS8Generator(TestCerts.keys("RSA").getPrivate(), null)));
        key.put("client_email", "tollgate@p.iam.gserviceaccount.com");
        key.put("client_id", "1");
        key.put("token_uri", "https://localhost:" + tokenPort + "/token");
        return key.toString();
    }

    private static Provider vertex(Optional<Path> caBundle) {
        return new Provider("vertex", ProviderKind.of("vertex"), URI.create("https://us-east5-aiplatform.googleapis.com"), List.of(),
                Map.of(), Map.of(), new Provider.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)),
                Provider.Breaker.DEFAULT, new Provider.Tls(caBundle, Optional.empty(), Optional.empty()));
    }

    @Test
    void theTokenExchangeGoesThroughTheProxyTrustingTheProvidersCa() throws Exception {
        TestCerts.Issued ca = TestCerts.ca("inspecting-proxy-ca");
        Path bundle = ca.writeCert(dir.resolve("ca.pem"));
        int tokenPort = tokenEndpoint(ca);
        int proxyPort = connectProxy();
        EgressProxy proxy = new EgressProxy(Optional.of(new EgressProxy.Endpoint("127.0.0.1", proxyPort)), Optional.empty(), List.of(),
                Optional.empty(), Optional.empty(), true);
        ServiceAccountTokens tokens = new ServiceAccountTokens(Clock.systemUTC());
        tokens.via(new UpstreamClient(proxy, List.of()));
        String key = keyJson(tokenPort);

        assertEquals("ya29.via-proxy", tokens.accessToken(key, vertex(Optional.of(bundle))));
        assertEquals(List.of("CONNECT localhost:" + tokenPort + " HTTP/1.1"), connects, "one tunnel through the proxy");
        assertEquals(1, exchanges.size());
        assertTrue(exchanges.getFirst().startsWith("POST /token HTTP/1.1\r\n"), exchanges.getFirst());
        assertTrue(exchanges.getFirst().contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"), exchanges.getFirst());

        // Without the provider's CA the same endpoint is not trusted: no fallback to an unverified connection.
        TokenException untrusted = assertThrows(TokenException.class, () -> tokens.accessToken(key, vertex(Optional.empty())));
        assertEquals(TokenException.Kind.UNREACHABLE, untrusted.kind());
        assertTrue(untrusted.getMessage().contains("not signed by a trusted CA"), untrusted.getMessage());
        assertEquals(1, exchanges.size(), "nothing sent over the untrusted connection");
    }
}
