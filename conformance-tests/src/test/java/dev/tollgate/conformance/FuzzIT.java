package dev.tollgate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated malformed requests at every surface and admin route of a real gateway process (with the
 * provider simulator behind it), sent on raw sockets so framing can be wrong too: truncated and
 * wrongly typed JSON, hostile model names, bad framing, oversized parts, odd methods and headers.
 * Each answer must be below 500 and, when it is an error, in the dialect of its path; afterwards the
 * gateway's log holds no stack trace and the gateway still serves.
 *
 * <p>Every violation is collected (not only the first) and reported together, grouped by kind, so one
 * run lists every kind of case that fails.
 */
class FuzzIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "tg-fuzz";
    private static final String ADMIN = "fuzz-admin-token";
    private static final ConcurrentLinkedQueue<String> VIOLATIONS = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger SENT = new AtomicInteger();
    private static Stack stack;

    @BeforeContainer
    static void start() throws Exception {
        stack = Stack.start("fuzz", """
                providers:
                  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: sim-anthropic, kind: anthropic, base_url: "http://127.0.0.1:SIM_PORT/v1"}
                  - {id: sim-gemini, kind: gemini, base_url: "http://127.0.0.1:SIM_PORT/v1beta"}
                models:
                  - {name: sim/echo, targets: [{provider: sim, model: echo}]}
                  - {name: claude, targets: [{provider: sim-anthropic, model: claude-sonnet-4-5}]}
                  - {name: gemini, targets: [{provider: sim-gemini, model: gemini-2.5-flash}]}
                admins:
                  - {id: ops, role: operator, sha256: %s}
                customers: [{id: acme}]
                teams:
                  - {id: infra, customer: acme}
                keys:
                  - {id: fuzz, team: infra, sha256: %s, limits: {requests_per_minute: 100000}}
                """.formatted(KeyHash.sha256(ADMIN), KeyHash.sha256(KEY)));
    }

    @AfterContainer
    static void verdict() throws Exception {
        try {
            // The process is healthy afterwards: alive, and a well-formed request is still served.
            assertEquals(200, stack.get(stack.gateway("/health/live")).statusCode(), "live after the fuzzing");
            Answer ok = send(request("POST", "/v1/chat/completions", Map.of("authorization", "Bearer " + KEY, "content-type", "application/json"),
                    "{\"model\":\"sim/echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8), Framing.LENGTH));
            assertEquals(200, ok.status(), "a good request after the fuzzing: " + ok.body());
            String log = Files.readString(stack.workDir.resolve("gateway.log"));
            List<String> traces = log.lines().filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by:") || l.contains("SEVERE")).limit(20).toList();
            if (!traces.isEmpty()) {
                VIOLATIONS.add("stack trace or SEVERE line in the gateway's log: " + String.join(" | ", traces));
            }
            Map<String, List<String>> byKind = new TreeMap<>();
            for (String v : VIOLATIONS) {
                byKind.computeIfAbsent(v.substring(0, v.indexOf(" :: ") < 0 ? Math.min(v.length(), 60) : v.indexOf(" :: ")), k -> new ArrayList<>()).add(v);
            }
            StringBuilder report = new StringBuilder();
            byKind.forEach((kind, all) -> report.append("\n").append(all.size()).append(" x ").append(kind)
                    .append("\n    e.g. ").append(all.getFirst().length() > 600 ? all.getFirst().substring(0, 600) + "..." : all.getFirst()));
            // Every violation in full, for whoever checks them after a merge.
            Files.write(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "tollgate-fuzz-violations.txt"), VIOLATIONS);
            assertTrue(SENT.get() >= 1000, "at least 1,000 generated requests, sent " + SENT.get());
            assertTrue(VIOLATIONS.isEmpty(), VIOLATIONS.size() + " violations in " + SENT.get() + " requests:" + report);
        } finally {
            stack.close();
        }
    }

    // ---- what is generated ----

    enum Dialect { OPENAI, ANTHROPIC, GOOGLE, ADMIN }

    enum Framing { LENGTH, CHUNKED, CHUNKED_BROKEN, LENGTH_TOO_LONG, NONE }

    /** An endpoint and the body it expects, written as a template where MODEL stands for the model name. */
    record Endpoint(String method, String path, Dialect dialect, String body) {
    }

    private static final List<Endpoint> API = List.of(
            new Endpoint("POST", "/v1/chat/completions", Dialect.OPENAI, "{\"model\":MODEL,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}"),
            new Endpoint("POST", "/openai/v1/chat/completions", Dialect.OPENAI, "{\"model\":MODEL,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
            new Endpoint("POST", "/v1/responses", Dialect.OPENAI, "{\"model\":MODEL,\"input\":\"hi\",\"max_output_tokens\":16}"),
            new Endpoint("POST", "/v1/embeddings", Dialect.OPENAI, "{\"model\":MODEL,\"input\":[\"hi\"]}"),
            new Endpoint("GET", "/v1/models", Dialect.OPENAI, null),
            new Endpoint("GET", "/v1/models/MODEL", Dialect.OPENAI, null),
            new Endpoint("POST", "/anthropic/v1/messages", Dialect.ANTHROPIC, "{\"model\":MODEL,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
            new Endpoint("POST", "/anthropic/v1/messages/count_tokens", Dialect.ANTHROPIC, "{\"model\":MODEL,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
            new Endpoint("GET", "/anthropic/v1/models", Dialect.ANTHROPIC, null),
            new Endpoint("GET", "/anthropic/v1/models/MODEL", Dialect.ANTHROPIC, null),
            new Endpoint("POST", "/genai/v1beta/models/MODEL:generateContent", Dialect.GOOGLE, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"),
            new Endpoint("POST", "/genai/v1beta/models/MODEL:streamGenerateContent", Dialect.GOOGLE, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"),
            new Endpoint("POST", "/v1beta/models/MODEL:generateContent", Dialect.GOOGLE, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],\"generationConfig\":{\"maxOutputTokens\":5}}"),
            new Endpoint("POST", "/v1beta/models/MODEL:streamGenerateContent", Dialect.GOOGLE, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"),
            new Endpoint("POST", "/v1beta/models/MODEL:countTokens", Dialect.GOOGLE, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"),
            new Endpoint("GET", "/genai/v1beta/models", Dialect.GOOGLE, null),
            new Endpoint("GET", "/v1beta/models/MODEL", Dialect.GOOGLE, null));

    private static final List<Endpoint> ADMIN_ROUTES = List.of(
            new Endpoint("GET", "/admin/policy", Dialect.ADMIN, null),
            new Endpoint("POST", "/admin/policy/refresh", Dialect.ADMIN, "{}"),
            new Endpoint("GET", "/admin/requests?status=QUERY&limit=QUERY&since=QUERY", Dialect.ADMIN, null),
            new Endpoint("GET", "/admin/requests/QUERY", Dialect.ADMIN, null),
            new Endpoint("GET", "/admin/stats?since=QUERY", Dialect.ADMIN, null),
            new Endpoint("GET", "/admin/usage?by=QUERY&period=QUERY", Dialect.ADMIN, null),
            new Endpoint("GET", "/v1/usage", Dialect.OPENAI, null),
            new Endpoint("GET", "/metrics", Dialect.ADMIN, null),
            new Endpoint("GET", "/ui", Dialect.ADMIN, null),
            new Endpoint("GET", "/ui/app.js", Dialect.ADMIN, null));

    /** One generated request: where, how, and what is wrong with it. */
    record Case(Endpoint endpoint, String method, String model, String body, Map<String, String> headers, Framing framing, String query) {
        @Override
        public String toString() {
            String b = body == null ? "-" : body.length() > 200 ? body.substring(0, 200) + "...(" + body.length() + ")" : body;
            return method + " " + endpoint.path() + " model=" + shown(model) + " query=" + shown(query) + " framing=" + framing
                    + " headers=" + shown(headers.toString()) + " body=" + shown(b);
        }
    }

    private static String shown(String s) {
        if (s == null) {
            return "null";
        }
        String t = s.length() > 120 ? s.substring(0, 120) + "...(" + s.length() + ")" : s;
        StringBuilder out = new StringBuilder();
        for (char c : t.toCharArray()) {
            out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }

    private static Arbitrary<String> models() {
        return Arbitraries.oneOf(
                Arbitraries.of("sim/echo", "claude", "gemini", "sim-gemini/gemini-2.5-flash", "sim-anthropic/claude-x", "no-such-model", ""),
                Arbitraries.of("sim-gemini/cheap/../priced", "simgem%2Fcheap%2F..%2Fpriced", "sim-gemini/x?key=abc", "sim-gemini/x#frag",
                        "a b", "a\r\nX-Injected: 1", "a\u0000b", "%", "%zz", "a|b", "{}", "a\\b", "../../v1/chat/completions?x=", "😀", "\u202e"),
                Arbitraries.strings().ofMinLength(0).ofMaxLength(40),
                Arbitraries.strings().withChars('a', '/', '.', '%', ':', '?').ofMinLength(1).ofMaxLength(20),
                Arbitraries.integers().between(300, 20_000).map("m"::repeat));
    }

    /** A valid body and ways to break it: truncated, wrongly typed fields, not JSON, deep, huge. */
    private static Arbitrary<String> bodies(Endpoint e) {
        Arbitrary<String> model = models().map(FuzzIT::jsonString);
        Arbitrary<String> valid = model.map(m -> e.body() == null ? "" : e.body().replace("MODEL", m));
        Arbitrary<String> truncated = Combinators.combine(valid, Arbitraries.doubles().between(0, 1))
                .as((b, f) -> b.substring(0, (int) (b.length() * f)));
        Arbitrary<String> wrongType = Arbitraries.of(
                "{\"model\":123,\"messages\":[]}", "{\"model\":null}", "{\"model\":[\"x\"],\"messages\":{}}", "{\"model\":\"sim/echo\",\"messages\":\"hi\"}",
                "{\"model\":\"sim/echo\",\"messages\":[1,2]}", "{\"model\":\"sim/echo\",\"messages\":[{\"role\":5,\"content\":{}}]}",
                "{\"model\":\"claude\",\"max_tokens\":\"5\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}]}",
                "{\"model\":\"sim/echo\",\"input\":{}}", "{\"model\":\"sim/echo\",\"input\":7,\"stream\":\"yes\"}",
                "{\"contents\":{}}", "{\"contents\":[{\"parts\":\"x\"}]}", "{\"contents\":[null],\"generationConfig\":{\"maxOutputTokens\":-1,\"candidateCount\":1e9}}",
                "{\"model\":\"sim/echo\",\"n\":1e400,\"max_tokens\":-5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                "[]", "null", "\"text\"", "42", "{}", "{\"model\":\"sim/echo\",\"model\":\"claude\",\"messages\":[]}");
        Arbitrary<String> notJson = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(200),
                Arbitraries.of("{", "}", "{\"model\":", "{\"a\":\"\\ud800\"}", "\u0000\u0001\u0002", "model=sim/echo&x=1", "<xml/>"));
        Arbitrary<String> deep = Arbitraries.integers().between(100, 5000).map(n -> "{\"model\":\"sim/echo\",\"messages\":" + "[".repeat(n) + "]".repeat(n) + "}");
        Arbitrary<String> huge = Arbitraries.integers().between(10_000, 400_000).map(n -> "{\"model\":\"sim/echo\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(n) + "\"}],\"metadata\":{\"" + "k".repeat(Math.min(n, 5000)) + "\":1}}");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, valid), net.jqwik.api.Tuple.of(4, truncated), net.jqwik.api.Tuple.of(4, wrongType),
                net.jqwik.api.Tuple.of(3, notJson), net.jqwik.api.Tuple.of(1, deep), net.jqwik.api.Tuple.of(1, huge));
    }

    private static Arbitrary<Map<String, String>> headers() {
        Arbitrary<String> auth = Arbitraries.of("authorization:Bearer " + KEY, "x-api-key:" + KEY, "x-goog-api-key:" + KEY, "authorization:Bearer " + ADMIN,
                "authorization:Bearer tg-wrong", "authorization:Basic Zm9vOmJhcg==", "authorization:Bearer ", "authorization:" + "B".repeat(9000), "", "");
        Arbitrary<String> contentType = Arbitraries.of("application/json", "text/plain", "application/json; charset=latin1", "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded", "", "", "");
        Arbitrary<String> odd = Arbitraries.of("", "", "", "", "content-encoding:gzip", "content-encoding:br", "expect:100-continue",
                "x-tollgate-fallbacks:claude,,,,", "x-tollgate-fallbacks:" + "m,".repeat(500), "session_id:" + "s".repeat(5000),
                "anthropic-version:\u0001", "traceparent:00-zz-zz-01", "accept:text/event-stream", "connection:upgrade", "upgrade:websocket",
                "x-big:" + "v".repeat(70_000), "host:", "x-ctl:a\u0007b");
        return Combinators.combine(auth, contentType, odd).as((a, c, o) -> {
            Map<String, String> h = new java.util.LinkedHashMap<>();
            for (String pair : List.of(a, c.isEmpty() ? "" : "content-type:" + c, o)) {
                if (!pair.isEmpty()) {
                    h.put(pair.substring(0, pair.indexOf(':')), pair.substring(pair.indexOf(':') + 1));
                }
            }
            return h;
        });
    }

    private static Arbitrary<String> methods(Endpoint e) {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, Arbitraries.just(e.method())),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "BREW")));
    }

    private static Arbitrary<String> queries() {
        return Arbitraries.oneOf(Arbitraries.of("", "1", "-1", "0", "99999999999999d", "1h", "bogus", "4xx", "429", "error", "2026-01-01T00:00:00Z",
                "%00", "%zz", "1e99", "NaN", "key", "team", "daily", "total"), Arbitraries.strings().ofMaxLength(30));
    }

    private static Arbitrary<Case> cases(List<Endpoint> endpoints) {
        return Arbitraries.of(endpoints).flatMap(e -> Combinators.combine(methods(e), models(), bodies(e), headers(),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(6, Framing.LENGTH), net.jqwik.api.Tuple.of(2, Framing.CHUNKED),
                        net.jqwik.api.Tuple.of(1, Framing.CHUNKED_BROKEN), net.jqwik.api.Tuple.of(1, Framing.LENGTH_TOO_LONG)),
                queries()).as((method, model, body, headers, framing, query) -> new Case(e, method, model, body, headers, framing, query)));
    }

    @Provide
    Arbitrary<Case> apiCases() {
        return cases(API);
    }

    @Provide
    Arbitrary<Case> adminCases() {
        return cases(ADMIN_ROUTES);
    }

    /** Raw heads: bad request lines, header syntax, sizes and counts, framing without a body. */
    @Provide
    Arbitrary<String> rawHeads() {
        Arbitrary<String> path = Arbitraries.of(API).map(e -> e.path().replace("MODEL", "sim/echo"));
        Arbitrary<String> line = Combinators.combine(Arbitraries.of("GET", "POST", "get", "POST ", "P\u0000ST"), path,
                Arbitraries.of("HTTP/1.1", "HTTP/1.0", "HTTP/1.1 x", "HTTP/1.1\t"), Arbitraries.of(" ", "  ", "\t"))
                .as((m, p, v, sp) -> m + sp + p + " " + v);
        Arbitrary<String> header = Arbitraries.of("Host: x", "Host: x\r\nHost: y", "no colon", ": empty-name", "x-a : spaced", " folded",
                "Content-Length: 5\r\nContent-Length: 6", "Content-Length: -1", "Content-Length: 99999999999999999999", "Content-Length: 0x10",
                "Transfer-Encoding: chunked\r\nContent-Length: 3", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked, identity",
                "x-api-key: a\u0001b", "authorization: Bearer \u0000", "x-h: " + "v".repeat(70_000), "x-\u00ff: v", "Content-Encoding: deflate");
        Arbitrary<String> many = Arbitraries.integers().between(200, 6000).map(n -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                b.append("x-h").append(i).append(": v\r\n");
            }
            return b.toString();
        });
        return Combinators.combine(line, header.list().ofMaxSize(4), Arbitraries.oneOf(Arbitraries.just(""), many), Arbitraries.of("\r\n", "\n"))
                .as((l, hs, m, eol) -> l + eol + String.join(eol, hs) + (hs.isEmpty() ? "" : eol) + m + "Host: x" + eol + eol);
    }

    @Property(tries = 700, shrinking = ShrinkingMode.OFF)
    void apiSurfaces(@ForAll("apiCases") Case c) throws Exception {
        check(c);
    }

    @Property(tries = 250, shrinking = ShrinkingMode.OFF)
    void adminRoutes(@ForAll("adminCases") Case c) throws Exception {
        check(c);
    }

    @Property(tries = 150, shrinking = ShrinkingMode.OFF)
    void rawFraming(@ForAll("rawHeads") String head) throws Exception {
        SENT.incrementAndGet();
        String path = head.split("[ \t]+", 3).length > 1 ? head.split("[ \t]+", 3)[1] : "/";
        Answer a = send(head.getBytes(StandardCharsets.ISO_8859_1));
        String firstLine = head.substring(0, head.indexOf('\n'));
        if (!firstLine.matches("[A-Za-z]+ \\S+ HTTP/1\\.1\r")) {
            // Not a well-formed request line: Helidon's parser refuses those ending " HTTP/1.1" (two spaces, a tab, a
            // NUL in the method), the gateway's fallback selector the rest (bare LF, HTTP/1.0, junk after the
            // version); either way one 400 that says what to fix, then the close.
            if (a.status() != 400 || !a.head().toLowerCase(Locale.ROOT).contains("connection: close")) {
                VIOLATIONS.add("unclaimed head not answered 400 + Connection: close :: " + shown(head.length() > 300 ? head.substring(0, 300) : head)
                        + " -> " + (a.status() < 0 ? "no answer" : a.head() + " " + shown(a.body())));
                return;
            }
        }
        judge("raw head " + shown(head.length() > 300 ? head.substring(0, 300) : head), a, dialectOf(path), false);
    }

    private static void check(Case c) throws Exception {
        SENT.incrementAndGet();
        String path = c.endpoint().path().replace("MODEL", urlish(c.model())).replace("QUERY", urlish(c.query()));
        byte[] body = c.body() == null || c.method().equals("GET") || c.method().equals("HEAD") ? null : c.body().getBytes(StandardCharsets.UTF_8);
        Answer a = send(request(c.method(), path, c.headers(), body, body == null ? Framing.NONE : c.framing()));
        Dialect d = c.endpoint().dialect() == Dialect.ADMIN ? Dialect.ADMIN : dialectOf(path);
        judge(c.toString(), a, d, c.method().equals("HEAD"));
    }

    /** A model name as a client library would put it in a path: unsafe bytes percent-encoded, '/' kept. */
    private static String urlish(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > 0x20 && c < 0x7f && "?#% \"<>\\^`{|}".indexOf(c) < 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    /**
     * The dialect of the path the gateway routes: Helidon resolves {@code .} and {@code ..} segments (and
     * percent escapes) before routing, so {@code /v1beta/models/../../v1/chat/completions?x=} is served, and
     * answered, as OpenAI's {@code /v1/chat/completions}; a path that is no URI is judged as written.
     */
    private static Dialect dialectOf(String raw) {
        String path = raw.split("[?#]", 2)[0];
        try {
            path = java.net.URI.create(path.startsWith("//") ? path.substring(1) : path).normalize().getPath();
        } catch (IllegalArgumentException notAUri) {
            // Helidon refuses it before routing, in the dialect of the path as written
        }
        if (path.startsWith("/anthropic")) {
            return Dialect.ANTHROPIC;
        }
        if (path.startsWith("/genai") || path.startsWith("/v1beta")) {
            return Dialect.GOOGLE;
        }
        return Dialect.OPENAI;
    }

    private static void judge(String what, Answer a, Dialect dialect, boolean noBodyOk) {
        if (a.status() < 0) {
            VIOLATIONS.add("no answer at all (connection closed) :: " + what);
            return;
        }
        if (a.status() >= 500) {
            VIOLATIONS.add("HTTP " + a.status() + " on " + dialect + " :: " + what + " -> " + shown(a.body()));
            return;
        }
        if (a.status() < 400 || dialect == Dialect.ADMIN || noBodyOk && a.body().isEmpty()) {
            return;
        }
        String problem = shapeProblem(a, dialect);
        if (problem != null && shapeProblem(a, Dialect.OPENAI) == null && beforeTheRequestLine(a)) {
            return; // the gateway could not read the path, so it could not know the dialect: OpenAI's is the rule then
        }
        if (problem != null) {
            VIOLATIONS.add("HTTP " + a.status() + " not in " + dialect + "'s shape (" + problem + ") :: " + what + " -> " + shown(a.body()));
        }
    }

    private static boolean beforeTheRequestLine(Answer a) {
        try {
            String code = JSON.readTree(a.body()).path("error").path("code").asText();
            return code.equals("invalid_http_request") || code.equals("headers_too_large");
        } catch (IOException e) {
            return false;
        }
    }

    /** What is wrong with an error body for the dialect, or null when it is the dialect's error JSON. */
    private static String shapeProblem(Answer a, Dialect dialect) {
        JsonNode root;
        try {
            root = JSON.readTree(a.body());
        } catch (IOException e) {
            return "not JSON";
        }
        if (root == null) {
            return "empty body";
        }
        return switch (dialect) {
            case OPENAI -> root.path("error").path("message").isTextual() && root.path("error").path("type").isTextual() ? null : "no error.message/type";
            case ANTHROPIC -> "error".equals(root.path("type").asText()) && root.path("error").path("type").isTextual()
                    && root.path("error").path("message").isTextual() ? null : "no type:error, error.type/message";
            case GOOGLE -> root.path("error").path("code").asInt() == a.status() && root.path("error").path("status").isTextual()
                    && root.path("error").path("message").isTextual() ? null : "no error.code/status/message";
            case ADMIN -> null;
        };
    }

    // ---- the wire ----

    record Answer(int status, String head, String body) {
    }

    static byte[] request(String method, String path, Map<String, String> headers, byte[] body, Framing framing) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        switch (framing) {
            case LENGTH -> head.append("Content-Length: ").append(body.length).append("\r\n");
            case LENGTH_TOO_LONG -> head.append("Content-Length: ").append(body.length + 17).append("\r\n");
            case CHUNKED, CHUNKED_BROKEN -> head.append("Transfer-Encoding: chunked\r\n");
            case NONE -> { }
        }
        head.append("\r\n");
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        switch (framing) {
            case LENGTH, LENGTH_TOO_LONG -> out.writeBytes(body);
            case CHUNKED -> {
                for (int i = 0; i < body.length; i += 7000) {
                    int n = Math.min(7000, body.length - i);
                    out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body, i, n);
                    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            case CHUNKED_BROKEN -> out.writeBytes(body); // the body without any chunk framing
            case NONE -> { }
        }
        return out.toByteArray();
    }

    /** Writes the request, half-closes (a client waiting for its answer) and reads the answer. */
    static Answer send(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", stack.gatewayPort)) {
            s.setSoTimeout(15_000);
            try {
                s.getOutputStream().write(request);
                s.shutdownOutput();
            } catch (IOException refusedEarly) {
                // The gateway answered and closed before taking the whole request: its answer is still there to read.
            }
            return read(s.getInputStream());
        } catch (java.net.SocketTimeoutException e) {
            return new Answer(-2, "", "no answer within 15 s");
        } catch (java.net.SocketException e) {
            return new Answer(-1, "", e.getClass().getSimpleName());
        }
    }

    private static Answer read(InputStream in) throws IOException {
        byte[] all = in.readAllBytes(); // Connection: close, so the answer ends with the connection
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0 || text.length() < 12) {
            return new Answer(-1, text, "");
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String head = text.substring(0, end);
        byte[] rest = java.util.Arrays.copyOfRange(all, end + 4, all.length);
        if (head.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
            rest = dechunk(rest);
        }
        return new Answer(status, head, new String(rest, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < chunked.length) {
            int eol = i;
            while (eol + 1 < chunked.length && !(chunked[eol] == '\r' && chunked[eol + 1] == '\n')) {
                eol++;
            }
            if (eol + 1 >= chunked.length) {
                break;
            }
            int n = Integer.parseInt(new String(chunked, i, eol - i, StandardCharsets.US_ASCII).trim(), 16);
            if (n == 0) {
                break;
            }
            out.write(chunked, eol + 2, Math.min(n, chunked.length - eol - 2));
            i = eol + 2 + n + 2;
        }
        return out.toByteArray();
    }

    private static String jsonString(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
