package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Developer sign-in with the real processes: the packaged gateway configured for a real OIDC provider
 * by environment (TOLLGATE_SSO_ISSUER, TOLLGATE_SSO_CLIENT_ID), `bin/tollgate login --no-browser` with
 * the test as the browser, `bin/tollgate auth print-token`, and a governed request reaching the simulator.
 */
class SignInIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLIENT = "tollgate-gateway";
    private static MockOAuth2Server idp;
    private static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        idp = new MockOAuth2Server();
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        stack = Stack.start("signin", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                models:
                  - {name: gpt-5.5, targets: [{provider: sim, model: gpt-5.5}]}
                pricing:
                  - {model: gpt-5.5, input: 1.25, output: 10}
                customers: [{id: acme}]
                teams: [{id: platform, customer: acme}]
                sso:
                  groups: {eng-platform: platform}
                  person: {budgets: [{amount_usd: 1, period: daily}], ttl: 2h}
                """, Map.of("TOLLGATE_SSO_ISSUER", idp.issuerUrl("default").toString(), "TOLLGATE_SSO_CLIENT_ID", CLIENT));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        idp.shutdown();
    }

    private static Process tollgate(Path home, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Stack.HOME.resolve("bin/tollgate").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("TOLLGATE_KEY_FILE");
        return pb.start();
    }

    @Test
    void loginStoresAPersonalKeyThatPrintTokenPrintsAndTheGatewayGoverns() throws Exception {
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("default", "alice-sub", "JWT", List.of(CLIENT),
                Map.of("email", "alice@example.com", "groups", List.of("eng-platform")), 3600));
        Path home = Files.createTempDirectory("tollgate-signin-home-");
        Process login = tollgate(home, "login", "--gateway", stack.gateway(""), "--no-browser", "--timeout", "30");
        BufferedReader out = new BufferedReader(new InputStreamReader(login.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder printed = new StringBuilder();
        String url = null;
        for (String line; url == null && (line = out.readLine()) != null; ) {
            printed.append(line).append('\n');
            if (line.startsWith("Sign in at: ")) {
                url = line.substring("Sign in at: ".length());
            }
        }
        assertTrue(url != null, "login printed no sign-in URL:\n" + printed);
        // The browser: the provider signs the person in and redirects to the CLI's loopback listener.
        HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> auth = browser.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        String back = auth.headers().firstValue("location").orElseThrow(() -> new AssertionError(auth.statusCode() + " " + auth.body()));
        assertTrue(back.startsWith("http://127.0.0.1:"), back);
        assertEquals(200, browser.send(HttpRequest.newBuilder(URI.create(back)).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        String rest = new String(login.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(login.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, login.exitValue(), printed + rest);
        assertTrue(rest.contains("Signed in as alice@example.com (team platform)"), rest);

        Path keyFile = home.resolve(".config/tollgate/key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        Process print = tollgate(home, "auth", "print-token");
        String token = new String(print.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(print.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, print.exitValue(), token);
        assertEquals(Files.readString(keyFile).trim(), token);

        int before = JSON.readTree(stack.get(stack.sim("/_sim/requests")).body()).size();
        HttpResponse<String> chat = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.gateway("/v1/chat/completions")))
                .header("authorization", "Bearer " + token).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5.5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chat.statusCode(), chat.body());
        assertEquals(before + 1, JSON.readTree(stack.get(stack.sim("/_sim/requests")).body()).size(), "the simulator received the request");
        HttpResponse<String> usage = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.gateway("/v1/usage")))
                .header("authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("person:alice@example.com", JSON.readTree(usage.body()).path("key").asText(), usage.body());

        // Codex's command-backed provider auth: Codex runs `tollgate auth print-token` itself for the bearer token.
        int beforeCodex = JSON.readTree(stack.get(stack.sim("/_sim/requests")).body()).size();
        Cli.Result codex = Cli.codexExec(stack, "gpt-5.5", List.of("-c", "model_provider=\"gw\"",
                "-c", "model_providers.gw={name=\"gw\",base_url=\"" + stack.gateway("/v1") + "\",wire_api=\"responses\","
                        + "supports_websockets=false,auth={command=\"" + Stack.HOME.resolve("bin/tollgate") + "\",args=[\"auth\",\"print-token\"]}}"),
                Map.of("TOLLGATE_KEY_FILE", keyFile.toString()), Cli.TOOL_PROMPT);
        assertEquals(0, codex.exit(), codex.all());
        assertTrue(codex.stdout().contains("tollgate-tool-ok"), codex.all());
        assertEquals(beforeCodex + 2, JSON.readTree(stack.get(stack.sim("/_sim/requests")).body()).size(),
                "both of Codex's turns reached the simulator through the gateway");
    }
}
