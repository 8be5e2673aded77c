package dev.tollgate.sim;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import java.util.Optional;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * A fast, deterministic fake of the paid LLM providers (OpenAI chat and Responses, Azure OpenAI,
 * Anthropic Messages, Gemini, Bedrock Converse, Vertex AI with its OAuth token endpoint) on one port of 127.0.0.1. Bedrock calls are checked
 * against the AWS test key in {@code SIM_AWS_ACCESS_KEY_ID} / {@code SIM_AWS_SECRET_ACCESS_KEY}.
 *
 * <pre>{@code
 * try (ProviderSim sim = ProviderSim.start(SimOptions.defaults())) {
 *     URI base = URI.create(sim.baseUrl()); // http://127.0.0.1:<port>
 * }
 * }</pre>
 */
public final class ProviderSim implements AutoCloseable {
    private final WebServer server;
    private final SimOptions options;
    private final boolean https;

    private ProviderSim(WebServer server, SimOptions options, boolean https) {
        this.server = server;
        this.options = options;
        this.https = https;
    }

    /** Starts a simulator; it listens when this returns. */
    public static ProviderSim start(SimOptions options) {
        return start(options, Optional.empty());
    }

    /** Starts a simulator serving HTTPS when {@code tls} is present. */
    public static ProviderSim start(SimOptions options, Optional<SimTls> tls) {
        RequestLog log = new RequestLog(options.recordLimit());
        FaultQueue faults = new FaultQueue();
        PromptCache cache = new PromptCache(System::currentTimeMillis);
        ModelCalls calls = new ModelCalls(options, log, faults, SigV4Check.fromEnv(System.getenv()), cache);
        SimControl control = new SimControl(log, faults, cache);
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(options.port())
                // Without it every streamed event waits on Nagle + delayed ACK (~40 ms).
                .connectionOptions(o -> o.tcpNoDelay(true))
                .shutdownHook(false)
                .update(b -> tls.ifPresent(t -> b.tls(t.tls())))
                .routing(r -> routes(r, calls, control, log))
                .build()
                .start();
        // Helidon logs a failed bind and returns a stopped server rather than throwing.
        if (!server.isRunning() || server.port() <= 0) {
            server.stop();
            throw new IllegalStateException("cannot listen on 127.0.0.1:" + options.port() + " (port in use?)");
        }
        return new ProviderSim(server, options, tls.isPresent());
    }

    private static void routes(HttpRouting.Builder r, ModelCalls calls, SimControl control, RequestLog log) {
        control.register(r);

        // OpenAI, and Azure OpenAI where the deployment names the model.
        r.post("/v1/chat/completions", (req, res) -> calls.handle(req, res, OpenAiChatFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/v1/responses", (req, res) -> calls.handle(req, res, OpenAiResponsesFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/v1/responses/compact", (req, res) -> calls.handle(req, res, OpenAiResponsesFormat.INSTANCE, ModelCalls.Op.COMPACT, null, true));
        r.post("/v1/embeddings", (req, res) -> calls.handle(req, res, OpenAiChatFormat.INSTANCE, ModelCalls.Op.EMBED, null, true));
        // A chat-only vendor (Mistral, Groq...): chat completions, and no Responses endpoint at all.
        r.post("/chat-only/v1/chat/completions", (req, res) -> calls.handle(req, res, OpenAiChatFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/chat-only/v1/responses", (req, res) -> {
            byte[] body = req.content().hasEntity() ? req.content().inputStream().readAllBytes() : new byte[0];
            log.record(req, body);
            res.status(io.helidon.http.Status.NOT_FOUND_404).header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/json")
                    .send("{\"detail\":\"Not Found\"}");
        });
        r.post("/openai/responses", (req, res) -> calls.handle(req, res, OpenAiResponsesFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/openai/v1/responses", (req, res) -> calls.handle(req, res, OpenAiResponsesFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/openai/v1/chat/completions", (req, res) -> calls.handle(req, res, OpenAiChatFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/openai/v1/embeddings", (req, res) -> calls.handle(req, res, OpenAiChatFormat.INSTANCE, ModelCalls.Op.EMBED, null, true));
        r.post("/openai/deployments/{deployment}/chat/completions", (req, res) -> calls.handle(req, res,
                OpenAiChatFormat.INSTANCE, ModelCalls.Op.GENERATE, req.path().pathParameters().get("deployment"), true));
        r.post("/openai/deployments/{deployment}/embeddings", (req, res) -> calls.handle(req, res,
                OpenAiChatFormat.INSTANCE, ModelCalls.Op.EMBED, req.path().pathParameters().get("deployment"), true));
        r.get("/v1/models", (req, res) -> {
            log.record(req, null);
            Models.send(req, res);
        });

        // Anthropic (Claude Code adds ?beta=true; query strings never affect routing).
        r.post("/v1/messages", (req, res) -> calls.handle(req, res, AnthropicFormat.INSTANCE, ModelCalls.Op.GENERATE, null, true));
        r.post("/v1/messages/count_tokens", (req, res) -> calls.handle(req, res, AnthropicFormat.INSTANCE, ModelCalls.Op.COUNT_TOKENS, null, true));

        // Gemini: /v1beta/models/{model}:{method}; the ':' is inside one path segment, so split it here.
        r.post("/v1beta/models/{spec}", (req, res) -> gemini(req, res, calls));
        r.post("/v1/models/{spec}", (req, res) -> gemini(req, res, calls));
        // Vertex AI: an OAuth token endpoint and the publishers' model endpoints behind it.
        new VertexEndpoints(calls, new VertexAuth(log), log).register(r);

        r.get("/v1beta/models", (req, res) -> {
            log.record(req, null);
            Models.sendGemini(res);
        });

        // Bedrock: the model id (percent-encoded, e.g. ...-v1%3A0) is one path segment; SigV4 is checked.
        r.post("/model/{model}/converse", (req, res) -> calls.handle(req, res, BedrockFormat.INSTANCE, ModelCalls.Op.GENERATE,
                req.path().pathParameters().get("model"), true));
        r.post("/model/{model}/converse-stream", (req, res) -> calls.handle(req, res, BedrockFormat.INSTANCE, ModelCalls.Op.STREAM_GENERATE,
                req.path().pathParameters().get("model"), true));

        // Claude Code probes its base URL with HEAD before the first call.
        r.head("/*", (req, res) -> {
            log.record(req, null);
            res.send();
        });
    }

    private static void gemini(ServerRequest req, ServerResponse res, ModelCalls calls) throws IOException {
        String spec = req.path().pathParameters().get("spec");
        int colon = spec.lastIndexOf(':');
        String model = colon < 0 ? spec : spec.substring(0, colon);
        String method = colon < 0 ? "" : spec.substring(colon + 1);
        switch (method) {
            case "generateContent" -> calls.handle(req, res, GeminiFormat.INSTANCE, ModelCalls.Op.GENERATE, model, true);
            case "streamGenerateContent" -> calls.handle(req, res, GeminiFormat.INSTANCE, ModelCalls.Op.STREAM_GENERATE, model,
                    req.query().first("alt").orElse("").equals("sse"));
            case "countTokens" -> calls.handle(req, res, GeminiFormat.INSTANCE, ModelCalls.Op.COUNT_TOKENS, model, true);
            default -> {
                req.content().consume();
                ModelCalls.sendError(res, GeminiFormat.INSTANCE, Status.NOT_FOUND_404.code(),
                        "Unknown method '" + method + "' (provider-sim knows generateContent, streamGenerateContent, countTokens).");
            }
        }
    }

    /** The port it listens on (the real one when started with port 0). */
    public int port() {
        return server.port();
    }

    /** {@code http://127.0.0.1:<port>} (https when serving TLS), without a trailing slash. */
    public String baseUrl() {
        return (https ? "https" : "http") + "://127.0.0.1:" + port();
    }

    public SimOptions options() {
        return options;
    }

    public boolean isRunning() {
        return server.isRunning();
    }

    @Override
    public void close() {
        server.stop();
    }

    public static void main(String[] args) {
        SimOptions options;
        Optional<SimTls> tls;
        try {
            java.util.List<String> rest = new java.util.ArrayList<>();
            tls = SimTls.parse(args, System.getenv(), rest);
            options = SimOptions.parse(rest.toArray(String[]::new), System.getenv());
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println("provider-sim: " + e.getMessage());
            }
            System.err.print(SimOptions.USAGE + SimTls.USAGE);
            System.exit(e.getMessage().isEmpty() ? 0 : 2);
            return;
        }
        if (System.getProperty("java.util.logging.config.file") == null) {
            // Helidon's start-up banner on stderr is noise here; warnings still show.
            Logger.getLogger("").setLevel(Level.WARNING);
        }
        ProviderSim sim;
        try {
            sim = start(options, tls);
        } catch (RuntimeException e) {
            System.err.println("provider-sim: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sim::close, "provider-sim-stop"));
        System.out.println("provider-sim listening on " + sim.baseUrl());
        System.out.flush();
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
