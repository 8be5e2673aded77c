package dev.tollgate.server.trace;

import dev.tollgate.policy.Route;
import dev.tollgate.providers.usage.Usage;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * OpenTelemetry traces: a server span per request and a client span per upstream attempt, exported
 * over OTLP/HTTP by a batch processor (a bounded queue that drops when full, off the request's thread).
 * Off by default; then no span is recorded, but a client's {@code traceparent} still reaches the upstream.
 */
public final class Tracing implements AutoCloseable {

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private Tracing(OpenTelemetrySdk sdk, Tracer tracer) {
        this.sdk = sdk;
        this.tracer = tracer;
    }

    public static Tracing off() {
        return new Tracing(null, OpenTelemetry.noop().getTracer("tollgate"));
    }

    /** Exports to {@code endpoint} (an OTLP/HTTP traces URL), sampling {@code ratio} of new traces; a sampled parent is followed. */
    public static Tracing otlp(String endpoint, double ratio) {
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(endpoint)
                .setTimeout(Duration.ofSeconds(10))
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "tollgate"))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(ratio)))
                // Large batches: each HTTP post costs the JDK client more than marshaling a span.
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setMaxQueueSize(8192)
                        .setMaxExportBatchSize(2048)
                        .setScheduleDelay(Duration.ofMillis(500))
                        .build())
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        return new Tracing(sdk, sdk.getTracer("tollgate"));
    }

    public boolean enabled() {
        return sdk != null;
    }

    /** Starts the server span, child of the client's {@code traceparent} if it sent one. */
    public ServerSpan start(String method, String path, Function<String, String> header) {
        Context parent = W3C.extract(Context.root(), header, GETTER);
        Span span = tracer.spanBuilder(method + " " + path)
                .setSpanKind(SpanKind.SERVER)
                .setParent(parent)
                .setAttribute("http.request.method", method)
                .setAttribute("url.path", path)
                .startSpan();
        return new ServerSpan(tracer, span, parent.with(span));
    }

    /** Spans of one request; {@link #NONE} outside a request. */
    public static final class ServerSpan {

        static final ServerSpan NONE = new ServerSpan(OpenTelemetry.noop().getTracer("none"), Span.getInvalid(), Context.root());

        private final Tracer tracer;
        final Span span;
        private final Context context;

        ServerSpan(Tracer tracer, Span span, Context context) {
            this.tracer = tracer;
            this.span = span;
            this.context = context;
        }

        public String traceId() {
            return span.getSpanContext().isValid() ? span.getSpanContext().getTraceId() : null;
        }

        Span startAttempt(String operation, Route.Target target) {
            if (this == NONE) {
                return Span.getInvalid();
            }
            return span.getSpanContext().isValid()
                    ? tracer.spanBuilder(operation + " " + target.model())
                    .setSpanKind(SpanKind.CLIENT)
                    .setParent(context)
                    .setAttribute(OPERATION, operation)
                    .setAttribute(PROVIDER, semconvProvider(target.provider().kind().id()))
                    .setAttribute(REQUEST_MODEL, target.model())
                    .setAttribute("tollgate.provider", target.provider().id())
                    .setAttribute("server.address", target.provider().baseUrl().getHost())
                    .startSpan()
                    : Span.getInvalid();
        }

        /** The headers with {@code traceparent} (and {@code tracestate}) of the attempt's span; null when there is none to send. */
        Map<String, String> inject(Span attempt, Map<String, String> headers) {
            Span carrier = attempt.getSpanContext().isValid() ? attempt : span;
            if (!carrier.getSpanContext().isValid()) {
                return null;
            }
            W3C.inject(Context.root().with(carrier), headers, (h, k, v) -> h.put(k, v));
            return headers;
        }

        void usage(Span attempt, String responseModel, Usage usage) {
            if (attempt != null && attempt.isRecording()) {
                attempt.setAttribute(RESPONSE_MODEL, responseModel);
                attempt.setAttribute(INPUT_TOKENS, usage.inputTokens());
                attempt.setAttribute(OUTPUT_TOKENS, usage.outputTokens());
            }
        }

        void endAttempt(Span attempt, String error) {
            if (attempt == null) {
                return;
            }
            if (error != null) {
                attempt.setAttribute(ERROR_TYPE, error);
                attempt.setStatus(StatusCode.ERROR);
            }
            attempt.end();
        }

        public void end(RequestRecord r, String requestModelLabel) {
            if (!span.isRecording()) {
                return;
            }
            if (r.requestedModel() != null) {
                span.updateName(operationName(r) + " " + requestModelLabel);
            }
            span.setAttribute(OPERATION, operationName(r));
            if (r.requestedModel() != null) {
                span.setAttribute(REQUEST_MODEL, requestModelLabel);
            }
            if (r.model() != null) {
                span.setAttribute(RESPONSE_MODEL, r.model());
                span.setAttribute(INPUT_TOKENS, r.inputTokens());
                span.setAttribute(OUTPUT_TOKENS, r.outputTokens());
            }
            if (r.provider() != null) {
                span.setAttribute("tollgate.provider", r.provider());
            }
            span.setAttribute("http.response.status_code", (long) r.status());
            span.setAttribute("tollgate.request.id", r.id());
            span.setAttribute("tollgate.policy.commit", r.policyCommit());
            if (r.errorType() != null) {
                span.setAttribute(ERROR_TYPE, r.errorType());
                if (r.status() >= 500) {
                    span.setStatus(StatusCode.ERROR);
                }
            }
            span.end();
        }

        private static String operationName(RequestRecord r) {
            return "embeddings".equals(r.api()) ? "embeddings" : "chat";
        }
    }

    /** The GenAI conventions' provider names for the kinds the policy knows. */
    public static String semconvProvider(String kind) {
        return switch (kind) {
            case "openai", "openai-compatible" -> "openai";
            case "azure-openai" -> "azure.ai.openai";
            case "anthropic" -> "anthropic";
            case "gemini" -> "gcp.gemini";
            case "vertex" -> "gcp.vertex_ai";
            case "bedrock" -> "aws.bedrock";
            default -> "other";
        };
    }

    private static final TextMapGetter<Function<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, String> carrier) {
            return java.util.List.of("traceparent", "tracestate");
        }

        @Override
        public String get(Function<String, String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };

    /** Forces the spans out (tests, shutdown). */
    public void flush() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
