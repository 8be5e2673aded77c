package dev.tollgate.server.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tollgate login --gateway URL}: signs the person in at the company's identity provider through
 * the gateway (authorization code with PKCE; the browser returns to a listener on 127.0.0.1) and stores
 * the personal key the gateway issues, 0600.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = "Sign in with the company's identity provider and store a personal key (~/.config/tollgate/key, 0600).")
public final class LoginCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--gateway", description = "the gateway's URL (default: $TOLLGATE_GATEWAY or http://127.0.0.1:8080)")
    String gateway;

    @Option(names = "--key-file", description = "where to store the key (default: $TOLLGATE_KEY_FILE or ~/.config/tollgate/key)")
    Path keyFile;

    @Option(names = "--no-browser", description = "only print the sign-in URL; do not try to open a browser")
    boolean noBrowser;

    @Option(names = "--device", description = "for a terminal without a browser: enter a code at the gateway in a browser elsewhere")
    boolean device;

    @Option(names = "--timeout", defaultValue = "300", description = "seconds to wait for the browser to come back (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    /** Opens the sign-in URL; tests play the browser here. */
    private final Consumer<URI> browser;

    public LoginCommand() {
        this(null);
    }

    public LoginCommand(Consumer<URI> browser) {
        this.browser = browser;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String base = (gateway != null ? gateway : System.getenv().getOrDefault("TOLLGATE_GATEWAY", "http://127.0.0.1:8080"))
                .replaceAll("/+$", "");
        Path file = keyFile != null ? keyFile : KeyFile.defaultPath();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        if (device) {
            return device(http, base, file, out, err);
        }
        CompletableFuture<Map<String, String>> back = new CompletableFuture<>();
        HttpServer loopback = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        loopback.createContext("/callback", exchange -> {
            Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
            byte[] page = (q.containsKey("code") ? "Signed in. You may close this tab and return to the terminal."
                    : "Sign-in did not complete; see the terminal.").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
            back.complete(q);
        });
        loopback.start();
        try {
            URI redirect = URI.create("http://127.0.0.1:" + loopback.getAddress().getPort() + "/callback");
            JsonNode started = post(http, base + "/auth/login/start", JSON.createObjectNode().put("redirect_uri", redirect.toString()), err);
            if (started == null) {
                return 1;
            }
            URI url = URI.create(started.path("authorization_url").asText());
            String state = started.path("state").asText();
            out.println("Sign in at: " + url);
            out.flush();
            open(url, err);
            Map<String, String> q;
            try {
                q = back.get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                err.println("tollgate: no answer from the browser within " + timeoutSeconds + " s; run `tollgate login` again");
                return 1;
            } catch (ExecutionException e) {
                err.println("tollgate: the sign-in listener failed: " + e.getCause().getMessage());
                return 1;
            }
            if (q.containsKey("error")) {
                err.println("tollgate: the identity provider refused the sign-in: " + q.get("error")
                        + (q.containsKey("error_description") ? " (" + q.get("error_description") + ")" : ""));
                return 1;
            }
            if (!state.equals(q.get("state")) || !q.containsKey("code")) {
                err.println("tollgate: the browser came back with another sign-in's answer; run `tollgate login` again");
                return 1;
            }
            JsonNode issued = post(http, base + "/auth/login/finish", JSON.createObjectNode().put("state", state).put("code", q.get("code")), err);
            if (issued == null) {
                return 1;
            }
            return store(issued, base, file, out);
        } finally {
            loopback.stop(0);
        }
    }

    private static int store(JsonNode issued, String base, Path file, PrintWriter out) throws IOException {
        Instant expires = Instant.parse(issued.path("expires_at").asText());
        KeyFile.write(file, new KeyFile.Stored(issued.path("key").asText(), base, issued.path("person").asText(), expires));
        out.println("Signed in as " + issued.path("person").asText()
                + (issued.hasNonNull("team") ? " (team " + issued.path("team").asText() + ")" : "")
                + (issued.hasNonNull("role") ? " (admin role " + issued.path("role").asText() + ")" : "")
                + "; personal key valid until " + expires + ", stored in " + file);
        out.flush();
        return 0;
    }

    /** The device-style sign-in: show a code, poll the gateway until the person has entered it elsewhere. */
    private int device(HttpClient http, String base, Path file, PrintWriter out, PrintWriter err) throws Exception {
        JsonNode started = post(http, base + "/auth/device/start", JSON.createObjectNode(), err);
        if (started == null) {
            return 1;
        }
        String code = started.path("device_code").asText();
        out.println("On any device, open " + started.path("verification_uri").asText() + " and enter the code "
                + started.path("user_code").asText());
        out.println("(or open " + started.path("verification_uri_complete").asText() + ")");
        out.flush();
        if (browser != null) {
            Thread.ofVirtual().start(() -> browser.accept(URI.create(started.path("verification_uri_complete").asText())));
        }
        long interval = Math.max(1, started.path("interval").asLong(2));
        long deadline = System.nanoTime() + Duration.ofSeconds(Math.min(timeoutSeconds, started.path("expires_in").asLong(600))).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> res;
            try {
                res = http.send(HttpRequest.newBuilder(URI.create(base + "/auth/device/token")).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("device_code", code).toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                err.println("tollgate: cannot reach the gateway at " + base + " (" + e.getClass().getSimpleName() + "); check --gateway");
                return 1;
            }
            JsonNode json = JSON.readTree(res.body());
            if (res.statusCode() == 200) {
                return store(json, base, file, out);
            }
            if (!"authorization_pending".equals(json.path("error").path("code").asText())) {
                err.println("tollgate: sign-in failed: " + json.path("error").path("message").asText("HTTP " + res.statusCode()));
                return 1;
            }
            Thread.sleep(Duration.ofSeconds(interval));
        }
        err.println("tollgate: the code was not entered within " + timeoutSeconds + " s; run `tollgate login --device` again");
        return 1;
    }

    /** The gateway's JSON answer, or null after printing its message. */
    private static JsonNode post(HttpClient http, String url, JsonNode body, PrintWriter err) throws InterruptedException {
        HttpResponse<String> res;
        try {
            res = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException | IllegalArgumentException e) {
            err.println("tollgate: cannot reach the gateway at " + url + " (" + e.getClass().getSimpleName() + "); check --gateway");
            return null;
        }
        JsonNode json;
        try {
            json = JSON.readTree(res.body());
        } catch (IOException e) {
            json = null;
        }
        if (res.statusCode() != 200 || json == null) {
            String message = json != null && json.path("error").path("message").isTextual() ? json.path("error").path("message").asText()
                    : "HTTP " + res.statusCode() + " from " + url;
            err.println("tollgate: sign-in failed: " + message);
            return null;
        }
        return json;
    }

    private void open(URI url, PrintWriter err) {
        if (browser != null) {
            Thread.ofVirtual().start(() -> browser.accept(url));
            return;
        }
        if (noBrowser) {
            return;
        }
        String opener = System.getProperty("os.name", "").toLowerCase().contains("mac") ? "open" : "xdg-open";
        try {
            new ProcessBuilder(opener, url.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            err.println("(could not start a browser: open the URL above yourself)");
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }
}
