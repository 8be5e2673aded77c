package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On-prem TLS with real parts on loopback: the simulator serving HTTPS with certificates from a test
 * CA (and one requiring client certificates), Debian's tinyproxy doing CONNECT between the gateway and
 * it (with and without proxy authentication), and the gateway's own HTTPS listener rotated while running.
 */
class TlsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TINYPROXY = Path.of("/usr/bin/tinyproxy");
    private static Path dir;
    private static final List<Process> processes = new ArrayList<>();
    private static TestPki.Issued ca;
    private static TestPki.Issued wrongCa;
    private static TestPki.Issued client;
    private static int mtlsSim;
    private static int expiredSim;
    private static int misnamedSim;
    private static int openProxy;
    private static int authProxy;
    private static int strictProxy;

    @BeforeAll
    static void up() throws Exception {
        if (!Files.isExecutable(TINYPROXY) && "1".equals(System.getenv("TOLLGATE_REQUIRE_PROXY"))) {
            throw new AssertionError("tinyproxy is required: apt-get install -y tinyproxy (or make proxy)");
        }
        Assumptions.assumeTrue(Files.isExecutable(TINYPROXY), "tinyproxy not installed (apt-get install -y tinyproxy)");
        dir = Files.createTempDirectory("tollgate-tls-");
        ca = TestPki.ca(dir, "test-ca");
        wrongCa = TestPki.ca(dir, "other-ca");
        client = TestPki.leaf(dir, "gateway-client", ca);
        TestPki.Issued sim = TestPki.leaf(dir, "sim", ca);
        Instant now = Instant.now();
        TestPki.Issued expired = TestPki.leaf(dir, "sim-expired", ca, now.minus(Duration.ofDays(3)), now.minus(Duration.ofDays(1)));
        mtlsSim = Stack.freePort();
        spawn("sim-mtls", List.of(Stack.HOME.resolve("bin/provider-sim").toString(), "--port", "" + mtlsSim,
                "--tls-cert", sim.certFile().toString(), "--tls-key", sim.keyFile().toString(), "--tls-client-ca", ca.certFile().toString()), Map.of());
        expiredSim = Stack.freePort();
        spawn("sim-expired", List.of(Stack.HOME.resolve("bin/provider-sim").toString(), "--port", "" + expiredSim,
                "--tls-cert", expired.certFile().toString(), "--tls-key", expired.keyFile().toString()), Map.of());
        TestPki.Issued misnamed = TestPki.leafNaming(dir, "sim-misnamed", ca, "models.corp.example");
        misnamedSim = Stack.freePort();
        spawn("sim-misnamed", List.of(Stack.HOME.resolve("bin/provider-sim").toString(), "--port", "" + misnamedSim,
                "--tls-cert", misnamed.certFile().toString(), "--tls-key", misnamed.keyFile().toString()), Map.of());
        openProxy = proxy("proxy-open", "");
        authProxy = proxy("proxy-auth", "BasicAuth tollgate s3cret-proxy-pw\n");
        strictProxy = proxy("proxy-strict", "ConnectPort 443\n");
        awaitListening(mtlsSim);
        awaitListening(expiredSim);
        awaitListening(misnamedSim);
    }

    @AfterAll
    static void down() {
        for (Process p : processes.reversed()) {
            p.destroy();
        }
    }

    /** A tinyproxy on a free loopback port, logging each CONNECT. */
    private static int proxy(String name, String extra) throws Exception {
        int port = Stack.freePort();
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, """
                Port %d
                Listen 127.0.0.1
                Timeout 60
                LogLevel Connect
                MaxClients 50
                Allow 127.0.0.1
                """.formatted(port) + extra);
        spawn(name, List.of(TINYPROXY.toString(), "-d", "-c", conf.toString()), Map.of());
        awaitListening(port);
        return port;
    }

    private static String policy() {
        String tls = "ca_bundle: " + ca.certFile();
        String mtls = tls + ", client_cert: " + client.certFile() + ", client_key: \"file:" + client.keyFile() + "\"";
        return """
                providers:
                  - {id: internal, kind: openai-compatible, base_url: "https://127.0.0.1:%1$d/v1", tls: {%3$s}}
                  - {id: no-client-cert, kind: openai-compatible, base_url: "https://127.0.0.1:%1$d/v1", tls: {%4$s}}
                  - {id: wrong-ca, kind: openai-compatible, base_url: "https://127.0.0.1:%1$d/v1", tls: {ca_bundle: %5$s, client_cert: %6$s, client_key: "file:%7$s"}}
                  - {id: expired, kind: openai-compatible, base_url: "https://127.0.0.1:%2$d/v1", tls: {%4$s}}
                  - {id: jdk-only, kind: openai-compatible, base_url: "https://127.0.0.1:%1$d/v1"}
                  - {id: misnamed, kind: openai-compatible, base_url: "https://127.0.0.1:%9$d/v1", tls: {%4$s}}
                models:
                  - {name: internal-m, targets: [{provider: internal, model: m}]}
                  - {name: gpt-5.5, targets: [{provider: internal, model: gpt-5.5}]}
                  - {name: no-cert-m, targets: [{provider: no-client-cert, model: m}]}
                  - {name: wrong-ca-m, targets: [{provider: wrong-ca, model: m}]}
                  - {name: expired-m, targets: [{provider: expired, model: m}]}
                  - {name: jdk-m, targets: [{provider: jdk-only, model: m}]}
                  - {name: misnamed-m, targets: [{provider: misnamed, model: m}]}
                pricing:
                  - {model: "*", input: 1, output: 1}
                customers: [{id: acme}]
                teams: [{id: infra, customer: acme}]
                keys:
                  - {id: dev, team: infra, sha256: %8$s}
                """.formatted(mtlsSim, expiredSim, mtls, tls, wrongCa.certFile(), client.certFile(), client.keyFile(), KeyHash.sha256("tg-dev"), misnamedSim);
    }

    /** A gateway process with this environment; its HTTPS listener from {@code listener}. */
    private static Gateway gateway(String name, Map<String, String> env, TestPki.Issued listener) throws Exception {
        Path work = Files.createDirectories(dir.resolve(name));
        Path policy = Files.createDirectories(work.resolve("policy"));
        Files.writeString(policy.resolve("policy.yaml"), policy());
        // The listener's files are copies, rotated in place by the test.
        Path cert = work.resolve("listener.crt.pem");
        Path key = work.resolve("listener.key.pem");
        Files.copy(listener.certFile(), cert);
        Files.copy(listener.keyFile(), key);
        int port = Stack.freePort();
        Map<String, String> all = new HashMap<>(env);
        all.put("TOLLGATE_TLS_CERT", cert.toString());
        all.put("TOLLGATE_TLS_KEY", key.toString());
        Process p = spawn(name, List.of(Stack.HOME.resolve("bin/tollgate").toString(), "serve", "--port", "" + port,
                "--policy", policy.toString(), "--state-dir", work.resolve("state").toString()), all);
        Gateway g = new Gateway(port, p, cert, key, work);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                if (g.get("/health/ready").statusCode() == 200) {
                    return g;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("gateway did not come up: " + log(name));
            }
            Thread.sleep(50);
        }
    }

    record Gateway(int port, Process process, Path cert, Path key, Path work) implements AutoCloseable {
        HttpClient client() {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting(ca.cert()))
                    .connectTimeout(Duration.ofSeconds(5)).build();
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return client().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> chat(String model) throws IOException, InterruptedException {
            return client().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("authorization", "Bearer tg-dev").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor();
            processes.remove(process);
        }
    }

    @Test
    void aRequestReachesTheMutualTlsUpstreamThroughTheProxy() throws Exception {
        try (Gateway g = gateway("gw-open", Map.of("TOLLGATE_PROXY_URL", "http://127.0.0.1:" + openProxy, "TOLLGATE_PROXY_LOOPBACK", "true"),
                TestPki.leaf(dir, "listener-a", ca))) {
            long before = simRequests(mtlsSim);
            HttpResponse<String> r = g.chat("internal-m");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("internal-m", JSON.readTree(r.body()).path("model").asText(), "the name the client asked for: " + r.body());
            assertEquals(before + 1, simRequests(mtlsSim), "the simulator (which requires a client certificate) got the request");
            assertTrue(log("proxy-open").contains("127.0.0.1:" + mtlsSim), "tinyproxy tunnelled it: " + log("proxy-open"));
        }
    }

    /**
     * The whole on-prem chain with a real client: Codex over HTTPS to the gateway (trusting the private
     * CA through CODEX_CA_CERTIFICATE, which Codex reads before SSL_CERT_FILE), the gateway through
     * tinyproxy's CONNECT to the simulator, which requires the gateway's client certificate.
     */
    @Test
    void codexDoesAToolRoundTripOverHttpsThroughTheProxyToAMutualTlsUpstream() throws Exception {
        try (Gateway g = gateway("gw-codex", Map.of("TOLLGATE_PROXY_URL", "http://127.0.0.1:" + openProxy, "TOLLGATE_PROXY_LOOPBACK", "true"),
                TestPki.leaf(dir, "listener-codex", ca))) {
            int seen = simCalls(mtlsSim, "/responses").size();
            int proxyLogBefore = log("proxy-open").length();
            List<String> config = List.of("-c", "model_provider=\"gw\"",
                    "-c", "model_providers.gw={name=\"gw\",base_url=\"https://127.0.0.1:" + g.port()
                            + "/v1\",env_key=\"GW_API_KEY\",wire_api=\"responses\",supports_websockets=false}");
            Cli.Result result = Cli.codexExec(Files.createTempDirectory(dir, "codex-home-"), "gpt-5.5", config,
                    Map.of("GW_API_KEY", "tg-dev", "CODEX_CA_CERTIFICATE", ca.certFile().toString(), "NO_PROXY", "127.0.0.1,localhost"),
                    Cli.TOOL_PROMPT);
            assertEquals(0, result.exit(), result.all());
            assertTrue(result.stdout().contains("tollgate-tool-ok"), "the final answer quotes the tool output: " + result.all());

            List<JsonNode> calls = simCalls(mtlsSim, "/responses");
            calls = calls.subList(seen, calls.size());
            assertEquals(2, calls.size(), "one turn that asks for the tool, one with its output: " + calls);
            assertEquals("gpt-5.5", calls.get(0).path("body").path("model").asText());
            JsonNode output = null;
            for (JsonNode item : calls.get(1).path("body").path("input")) {
                if ("function_call_output".equals(item.path("type").asText())) {
                    output = item;
                }
            }
            assertNotNull(output, "the second turn carries the tool's output: " + calls.get(1));
            assertTrue(output.path("output").toString().contains("tollgate-tool-ok"), "Codex really ran the command: " + output);
            String proxied = log("proxy-open").substring(proxyLogBefore);
            assertTrue(proxied.contains("CONNECT") && proxied.contains("127.0.0.1:" + mtlsSim), "tinyproxy tunnelled the calls: " + proxied);
        }
    }

    @Test
    void tlsFailuresAre502sNamingTheCause() throws Exception {
        try (Gateway g = gateway("gw-fail", Map.of(), TestPki.leaf(dir, "listener-b", ca))) {
            assertError(g.chat("wrong-ca-m"), "not signed by a trusted CA");
            assertError(g.chat("jdk-m"), "not signed by a trusted CA");
            assertError(g.chat("expired-m"), "expired");
            assertError(g.chat("no-cert-m"), "client certificate");
            assertError(g.chat("misnamed-m"), "does not name the host of the provider's base_url");
            HttpResponse<String> ok = g.chat("internal-m");
            assertEquals(200, ok.statusCode(), "direct (loopback is not proxied by default): " + ok.body());
            assertFalse(log("gw-fail").contains("\tat "), "no stack trace lines in the log");
        }
    }

    @Test
    void proxyAuthenticationByReference() throws Exception {
        Path secret = dir.resolve("proxy-password");
        Files.writeString(secret, "s3cret-proxy-pw\n");
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://tollgate@127.0.0.1:" + authProxy, "TOLLGATE_PROXY_LOOPBACK", "true",
                "TOLLGATE_PROXY_PASSWORD", "file:" + secret);
        try (Gateway g = gateway("gw-auth", env, TestPki.leaf(dir, "listener-c", ca))) {
            HttpResponse<String> r = g.chat("internal-m");
            assertEquals(200, r.statusCode(), r.body());
            Files.writeString(secret, "wrong\n"); // read at connect time: the next new connection uses it
            // Another provider's TLS set-up: no pooled tunnel to reuse, so a new CONNECT with the new password.
            HttpResponse<String> wrong = g.chat("no-cert-m");
            assertError(wrong, "rejected the proxy credentials");
            assertFalse(wrong.body().contains("wrong") && wrong.body().contains("s3cret"), "no password in the answer");
            assertFalse(log("gw-auth").contains("s3cret-proxy-pw"), "no password in the log");
        }
        try (Gateway g = gateway("gw-noauth", Map.of("HTTPS_PROXY", "http://127.0.0.1:" + authProxy, "TOLLGATE_PROXY_LOOPBACK", "true"),
                TestPki.leaf(dir, "listener-d", ca))) {
            assertError(g.chat("internal-m"), "asks for credentials");
        }
        try (Gateway g = gateway("gw-strict", Map.of("HTTPS_PROXY", "http://127.0.0.1:" + strictProxy, "TOLLGATE_PROXY_LOOPBACK", "true"),
                TestPki.leaf(dir, "listener-e", ca))) {
            assertError(g.chat("internal-m"), "refused to tunnel");
        }
    }

    @Test
    void theListenersCertificateRotatesWithoutDroppingConnections() throws Exception {
        TestPki.Issued first = TestPki.leaf(dir, "listener-1", ca);
        TestPki.Issued second = TestPki.leaf(dir, "listener-2", ca);
        try (Gateway g = gateway("gw-rotate", Map.of(), first)) {
            SSLSocket kept = (SSLSocket) trusting(ca.cert()).getSocketFactory().createSocket("127.0.0.1", g.port());
            kept.startHandshake();
            assertEquals(first.cert(), kept.getSession().getPeerCertificates()[0]);
            assertEquals(200, rawGet(kept));
            // Rotate as cert-manager does: new files moved into place.
            Path tmpKey = g.work().resolve("key.tmp");
            Path tmpCert = g.work().resolve("cert.tmp");
            Files.copy(second.keyFile(), tmpKey);
            Files.copy(second.certFile(), tmpCert);
            Files.move(tmpKey, g.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmpCert, g.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            X509Certificate seen;
            do {
                try (SSLSocket fresh = (SSLSocket) trusting(ca.cert()).getSocketFactory().createSocket("127.0.0.1", g.port())) {
                    fresh.startHandshake();
                    seen = (X509Certificate) fresh.getSession().getPeerCertificates()[0];
                }
            } while (!seen.equals(second.cert()) && System.nanoTime() < deadline);
            assertEquals(second.cert(), seen, "a new connection gets the new certificate");
            assertEquals(200, rawGet(kept), "the connection opened before the rotation still serves");
            kept.close();
        }
    }

    /** Codex's WebSocket on the HTTPS listener: each response.create is served through the listener, over TLS too. */
    @Test
    void theResponsesWebSocketWorksOnTheHttpsListener() throws Exception {
        try (Gateway g = gateway("gw-wss", Map.of(), TestPki.leaf(dir, "listener-wss", ca))) {
            long before = simRequests(mtlsSim, "/responses");
            String last = SocketTurn.run(g.client(), URI.create("wss://127.0.0.1:" + g.port() + "/v1/responses"), "tg-dev",
                    "{\"type\":\"response.create\",\"model\":\"internal-m\",\"stream\":true,\"input\":\"hi\"}");
            assertEquals("response.completed", JSON.readTree(last).path("type").asText(), "the response completed: " + last);
            assertEquals(before + 1, simRequests(mtlsSim, "/responses"), "the upstream got the call");
        }
    }

    @Test
    void anUnparsableBundleStopsThePolicyNamingTheFile() throws Exception {
        Path bad = dir.resolve("bad-bundle.pem");
        Files.writeString(bad, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        Path policy = Files.createDirectories(dir.resolve("bad-policy"));
        Files.writeString(policy.resolve("policy.yaml"), policy().replace("ca_bundle: " + ca.certFile(), "ca_bundle: " + bad));
        Process p = new ProcessBuilder(Stack.HOME.resolve("bin/tollgate").toString(), "validate", policy.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, p.waitFor(), out);
        assertTrue(out.contains(bad.toString()) && out.contains("does not parse"), out);
        // A gateway-wide bundle that does not parse stops the start, naming the file.
        Path work = Files.createDirectories(dir.resolve("gw-badglobal"));
        Files.writeString(Files.createDirectories(work.resolve("policy")).resolve("policy.yaml"), policy());
        ProcessBuilder g = new ProcessBuilder(Stack.HOME.resolve("bin/tollgate").toString(), "serve", "--port", "" + Stack.freePort(),
                "--policy", work.resolve("policy").toString(), "--state-dir", work.resolve("state").toString())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        g.environment().put("TOLLGATE_UPSTREAM_CA_BUNDLE", bad.toString());
        Process started = g.start();
        processes.add(started);
        String served = new String(started.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, started.waitFor(), served);
        assertTrue(served.contains(bad.toString()) && served.contains("does not parse"), served);
        assertFalse(served.contains("\tat "), served);
    }

    private static void assertError(HttpResponse<String> r, String says) throws IOException {
        assertEquals(502, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        String message = body.path("error").path("message").asText();
        assertTrue(message.contains(says), message);
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception"), "no stack trace: " + r.body());
    }

    /** GET /health/live on an open keep-alive connection; its status. */
    private static int rawGet(SSLSocket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("GET /health/live HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed: " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return Integer.parseInt(head.substring(9, 12));
    }

    static SSLContext trusting(X509Certificate ca) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, tmf.getTrustManagers(), null);
            return c;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long simRequests(int port) throws Exception {
        return simRequests(port, "/chat/completions");
    }

    private static long simRequests(int port, String pathEnd) throws Exception {
        return simCalls(port, pathEnd).size();
    }

    /** What the simulator on this port received on paths ending so, oldest first. */
    private static List<JsonNode> simCalls(int port, String pathEnd) throws Exception {
        TestPki.Issued probe = client;
        HttpClient c = HttpClient.newBuilder().sslContext(mtlsContext(probe)).build();
        HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/_sim/requests")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode all = JSON.readTree(r.body());
        JsonNode list = all.isArray() ? all : all.path("requests");
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode req : list) {
            if (req.path("path").asText().endsWith(pathEnd)) {
                calls.add(req);
            }
        }
        return calls;
    }

    private static SSLContext mtlsContext(TestPki.Issued id) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("c", id.keys().getPrivate(), new char[0], new X509Certificate[] {id.cert()});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    private static Process spawn(String name, List<String> command, Map<String, String> env) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).directory(Stack.HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        b.environment().keySet().removeIf(k -> k.equalsIgnoreCase("HTTPS_PROXY") || k.equalsIgnoreCase("HTTP_PROXY") || k.equalsIgnoreCase("NO_PROXY"));
        b.environment().putAll(env);
        Process p = b.start();
        processes.add(p);
        return p;
    }

    static String log(String name) throws IOException {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private static void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("nothing listens on " + port + " after 30 s");
    }
}
