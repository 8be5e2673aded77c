package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.regex.Pattern;
import java.util.stream.Stream;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Claude Code's own gateway login with the real pinned CLI. Claude Code offers the gateway login only in
 * its interactive /login, and only when the machine's managed settings (/etc/claude-code on Linux) say
 * {@code forceLoginMethod: gateway}: the test gives the CLI a private /etc (an overlay in a user and
 * mount namespace of its own, so the machine's /etc stays untouched), runs the interactive CLI on a
 * pseudo-terminal ({@code script}), answers its screens, and plays the browser at the gateway's
 * verification page through mock-oauth2-server. Then {@code claude -p} makes a tool round trip with the
 * per-user token it stored (refreshing it first: the key lives 4 minutes, inside the client's refresh
 * margin); the simulator and the request log show the person, and the client applied the managed
 * settings the policy gives it.
 */
class ClaudeGatewayLoginIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLIENT = "tollgate-gateway";
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-?]*[ -/]*[@-~]|\u001B\\][^\u0007]*\u0007|\u001B[()][A-Z0-9]|\u001B[=>]");
    private static MockOAuth2Server idp;
    private static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(namespacesWork(), "needs unshare --user --mount and overlayfs to give Claude Code a private /etc");
        idp = new MockOAuth2Server();
        idp.start(InetAddress.getByName("127.0.0.1"), 0);
        stack = Stack.start("claude-login", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1", settings: {api: responses}}
                models:
                  - {name: gpt-5.5, targets: [{provider: sim, model: gpt-5.5}]}
                pricing:
                  - {model: gpt-5.5, input: 1.25, output: 10}
                customers: [{id: acme}]
                teams: [{id: platform, customer: acme}]
                sso:
                  groups: {eng-platform: platform}
                  # Under Claude Code's 5 minutes of refresh margin: its first request refreshes the token.
                  person: {budgets: [{amount_usd: 1, period: daily}], ttl: 4m}
                  claude_code_settings: {env: {CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", TOLLGATE_FROM_POLICY: "managed"}}
                """, Map.of("TOLLGATE_SSO_ISSUER", idp.issuerUrl("default").toString(), "TOLLGATE_SSO_CLIENT_ID", CLIENT));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (idp != null) {
            idp.shutdown();
        }
    }

    private static boolean namespacesWork() {
        try {
            Process p = new ProcessBuilder("unshare", "--user", "--map-root-user", "--mount", "true").redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The command line that runs {@code inner} with the private /etc laid over the machine's. */
    private static List<String> withPrivateEtc(Path etc, String inner) {
        return List.of("unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                "mount -t overlay overlay -o lowerdir=" + etc + ":/etc /etc && exec " + inner);
    }

    /** An interactive CLI on a pseudo-terminal: what it printed so far (escape codes removed), keys typed into it. */
    private static final class Terminal implements AutoCloseable {
        private final Process process;
        private final StringBuffer screen = new StringBuffer();
        private final OutputStream keys;

        Terminal(ProcessBuilder pb) throws IOException {
            process = pb.redirectErrorStream(true).start();
            keys = process.getOutputStream();
            Thread.ofVirtual().start(() -> {
                try (InputStream in = process.getInputStream()) {
                    byte[] buf = new byte[8192];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
        }

        /** The screen's text without escape codes and without blanks (the TUI moves the cursor instead of printing spaces). */
        String text() {
            return ANSI.matcher(screen).replaceAll("").replaceAll("\\s+", "");
        }

        /** Waits until the screen shows {@code what} after position {@code from}; fails with the screen after 60 s. */
        int await(String what, int from) throws InterruptedException {
            for (int i = 0; i < 600; i++) {
                int at = text().indexOf(what.replaceAll("\\s+", ""), from);
                if (at >= 0) {
                    return at + what.replaceAll("\\s+", "").length();
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("the CLI never showed '" + what + "':\n" + text());
        }

        void type(String s) throws IOException {
            keys.write(s.getBytes(StandardCharsets.UTF_8));
            keys.flush();
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void claudeCodeSignsInThroughTheGatewayAndItsPerUserTokenMakesAGovernedToolRoundTrip() throws Exception {
        idp.enqueueCallback(new DefaultOAuth2TokenCallback("default", "alice-sub", "JWT", List.of(CLIENT),
                Map.of("email", "alice@example.com", "groups", List.of("eng-platform")), 3600));
        Path home = Cli.home(stack, "claude-login");
        Path config = Files.createDirectories(home.resolve(".claude"));
        // Past the first-run screens (theme, onboarding), as a developer who used Claude Code before.
        Files.writeString(config.resolve(".claude.json"), "{\"hasCompletedOnboarding\":true,\"theme\":\"dark\",\"numStartups\":1,"
                + "\"projects\":{\"" + home + "\":{\"hasTrustDialogAccepted\":true}}}");
        String gatewayUrl = stack.gateway("/anthropic");
        Path etc = Files.createDirectories(home.resolve("etc/claude-code")).getParent();
        Files.writeString(etc.resolve("claude-code/managed-settings.json"),
                "{\"forceLoginMethod\":\"gateway\",\"forceLoginGatewayUrl\":\"" + gatewayUrl + "\"}");
        // The "browser" Claude Code opens: it only notes the URL; the test follows it.
        Path opened = home.resolve("opened-urls");
        Path browser = home.resolve("browser.sh");
        Files.writeString(browser, "#!/bin/sh\necho \"$1\" >> '" + opened + "'\n");
        Files.setPosixFilePermissions(browser, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = Map.of("HOME", home.toString(), "CLAUDE_CONFIG_DIR", config.toString(), "BROWSER", browser.toString(),
                "TMPDIR", Files.createDirectories(home.resolve("tmp")).toString(), "TERM", "xterm-256color",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");

        ProcessBuilder interactive = new ProcessBuilder(withPrivateEtc(etc, "script -qfec '" + Cli.claude() + "' /dev/null"))
                .directory(home.toFile());
        clean(interactive, env);
        try (Terminal tui = new Terminal(interactive)) {
            // Signed out, it starts at the prompt; /login then opens on the gateway screen the managed settings ask for.
            int at = tui.await("Run /login", 0);
            tui.type("/login");
            at = tui.await("/login", at);
            tui.type("\r");
            at = tui.await("Press Enter to connect", at);
            tui.type("\r");
            at = tui.await("Yes, trust this gateway", at);
            tui.type("1"); // the prompt's cursor starts on "No, go back"
            at = tui.await("confirm this code", at);
            for (int i = 0; i < 100 && !Files.exists(opened); i++) {
                Thread.sleep(100);
            }
            String url = Files.readAllLines(opened).getFirst().trim();
            assertTrue(url.startsWith(stack.gateway("/auth/device?user_code=")), url);
            String page = playBrowser(url);
            assertTrue(page.contains("Signed in as alice@example.com"), page);
            tui.await("Connected to Cloud gateway", at);
        }
        JsonNode stored = JSON.readTree(config.resolve(".credentials.json").toFile()).path("enterpriseGateway");
        assertEquals(gatewayUrl, stored.path("url").asText(), stored.toString());
        String token = stored.path("jwt").asText();
        assertTrue(token.startsWith("tgp-"), "Claude Code stored the personal key as its gateway token");
        assertTrue(stored.path("idpRefreshToken").asText().startsWith("tgr-"), "and the refresh token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.resolve(".credentials.json"))));

        // Headless now: the stored token, no key in the environment.
        int before = SimRequests.to(stack, "/v1/responses").size();
        ProcessBuilder headless = new ProcessBuilder(withPrivateEtc(etc, "'" + Cli.claude() + "' -p --model gpt-5.5 --allowedTools=Bash '"
                + Cli.TOOL_PROMPT.replace("'", "") + "'")).directory(home.toFile());
        clean(headless, env);
        headless.environment().put("CLAUDE_CODE_MAX_RETRIES", "0");
        headless.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = headless.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("tollgate-tool-ok"), out);
        String refreshed = JSON.readTree(config.resolve(".credentials.json").toFile()).path("enterpriseGateway").path("jwt").asText();
        assertTrue(refreshed.startsWith("tgp-") && !refreshed.equals(token), "Claude Code refreshed its token at the gateway before using it");
        String managed = Files.readString(config.resolve("remote-settings.json"));
        assertTrue(managed.contains("\"TOLLGATE_FROM_POLICY\": \"managed\""), "the client fetched the policy's managed settings: " + managed);
        assertEquals(before + 2, SimRequests.to(stack, "/v1/responses").size(),
                "both turns reached the simulator through the gateway: " + SimRequests.all(stack));
        String log = "";
        for (int i = 0; i < 100 && !log.contains("person:alice@example.com"); i++) {
            log = requestLog(stack.workDir.resolve("state"));
            Thread.sleep(100);
        }
        assertTrue(log.contains("person:alice@example.com"), "the request log names the person: " + log);
    }

    private static void clean(ProcessBuilder pb, Map<String, String> env) {
        pb.environment().keySet().removeIf(k -> k.startsWith("ANTHROPIC_") || k.startsWith("CLAUDE_") || k.startsWith("OPENAI_"));
        pb.environment().putAll(env);
    }

    /** The person's browser: the link shows the code, they confirm it, sign in at the provider, and land back at the gateway. */
    private static String playBrowser(String url) throws Exception {
        HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> shown = browser.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, shown.statusCode(), shown.body());
        String userCode = url.substring(url.indexOf("user_code=") + "user_code=".length());
        URI at = URI.create(url.substring(0, url.indexOf('?')));
        HttpResponse<String> next = browser.send(HttpRequest.newBuilder(at).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Sec-Fetch-Site", "same-origin").POST(HttpRequest.BodyPublishers.ofString("user_code=" + userCode)).build(),
                HttpResponse.BodyHandlers.ofString());
        for (int hop = 0; hop < 6 && next.statusCode() / 100 == 3; hop++) {
            at = at.resolve(next.headers().firstValue("location").orElseThrow());
            next = browser.send(HttpRequest.newBuilder(at).build(), HttpResponse.BodyHandlers.ofString());
        }
        return next.body();
    }

    private static String requestLog(Path state) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(state)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("requests.db")).toList()) {
                try {
                    all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)); // a database: its text, byte for byte
                } catch (IOException e) {
                    // vanished (the database's journal)
                }
            }
        }
        return all.toString();
    }
}
