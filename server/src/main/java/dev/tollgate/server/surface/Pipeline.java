package dev.tollgate.server.surface;

import dev.tollgate.policy.PolicySnapshot.KeyChain;
import dev.tollgate.policy.PolicySnapshot;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.usage.Usage;
import dev.tollgate.server.call.AgentSession;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.session.ToolCall;
import dev.tollgate.server.call.ModelName;
import dev.tollgate.server.dispatch.Dispatcher;
import dev.tollgate.server.dispatch.Embeddings;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.gate.Admission;
import dev.tollgate.server.gate.Gate;
import dev.tollgate.server.gate.Identity;
import dev.tollgate.server.gate.PresentedKey;
import dev.tollgate.server.route.Routed;
import dev.tollgate.server.route.Router;
import dev.tollgate.server.settle.Settle;
import dev.tollgate.server.settle.Settlement;
import dev.tollgate.server.trace.RequestTrace;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The stages after a surface has read its request, the same for every client dialect:
 * gate (who, which model, limits, budget) -> router -> dispatcher, then settle the spend.
 */
public final class Pipeline {

    /** The router's headers made once, not per request (HeaderNames.create looks each name up). */
    private static final Map<String, HeaderName> ROUTER_HEADERS = Stream.of(Router.SESSION_HEADERS.stream(), Stream.of(Router.FALLBACKS_HEADER),
                    AgentSession.AGENT_HEADERS.stream(), Stream.of(AgentSession.CODEX_THREAD)).flatMap(s -> s)
            .collect(Collectors.toUnmodifiableMap(n -> n, HeaderNames::create));

    private final Gate gate;
    private final Router router;
    private final Dispatcher dispatcher;

    public Pipeline(Gate gate, Router router, Dispatcher dispatcher) {
        this.gate = gate;
        this.router = router;
        this.dispatcher = dispatcher;
    }

    public Dispatcher.Result run(Call call, ServerRequest req, ServerResponse res) throws GatewayException {
        checkName(call);
        // Before the gate, so a malformed fallback costs no rate-limit slot or reservation.
        var fallbacks = req.headers().first(headerName(Router.FALLBACKS_HEADER));
        if (fallbacks.isPresent()) {
            Router.fallbackNames(fallbacks.get(), call.model());
        }
        // Read once: the session groups the request (gate, request log) and keeps its conversation on one target (router).
        Optional<AgentSession> session = AgentSession.from(name -> req.headers().first(headerName(name)), promptCacheKey(call));
        Optional<ToolCall> toolCall = Optional.empty();
        if (session.isPresent()) {
            call.trace().session(session.get().id(), session.get().agent());
            String agent = session.get().agent();
            toolCall = ToolCall.answeredBy(call.api(), call.body()).map(t -> t.by(agent));
            toolCall.ifPresent(t -> call.trace().toolCall(t.name()));
        }
        Admission admission = gate.admit(call.policy(), PresentedKey.from(req), call, session, toolCall);
        Call sent = call;
        switch (admission) {
            case Admission.Refused refused -> {
                if (refused.chain() != null) {
                    recordCaller(call, refused.chain()); // the request log shows whose key was refused, and by what
                }
                throw new GatewayException(refused.error());
            }
            case Admission.Admitted admitted -> {
                recordCaller(call, admitted.chain());
                if (admitted.chain().capturesContent()) {
                    call.trace().captureContent(call.body().bytes());
                }
                admitted.permit().rateLimitHeaders().forEach(res::header); // as OpenAI does, on every answer
                if (!admitted.permit().warnings().isEmpty()) {
                    String warning = String.join("; ", admitted.permit().warnings());
                    res.header(dev.tollgate.server.gate.Permit.WARNING_HEADER, warning);
                    call.trace().budgetWarning("Budget warning: " + warning + ".");
                }
                if (admitted.permit().downgrade().isPresent()) {
                    var d = admitted.permit().downgrade().get();
                    res.header(dev.tollgate.server.gate.Permit.DOWNGRADED_HEADER, d.from() + " -> " + d.to() + " (" + d.why() + ")");
                    call.trace().downgraded("Downgraded " + d.from() + " -> " + d.to() + ": " + d.why() + ".");
                    // From here on the call is for the cheaper model: routing, the upstream and the answer's model name.
                    sent = new Call(call.api(), d.to(), call.stream(), call.body(), call.passHeaders(), call.policy(), call.trace());
                }
            }
            default -> { }
        }
        // Settled in one place: before the answer's last bytes (the exchange calls it), or here whatever happened.
        Settle settle = admission instanceof Admission.Admitted a ? new Settlement(gate.spend(), a.permit(), call.trace()) : Settle.NONE;
        int status = 500;
        Usage usage = Usage.NONE;
        try {
            Routed routed = router.route(sent.policy(), sent.model(), name -> req.headers().first(headerName(name)), session.map(AgentSession::id),
                    fallback -> !(admission instanceof Admission.Admitted a)
                            || !gate.allowedModels(new Identity.Caller(a.chain()), List.of(fallback)).isEmpty());
            Embeddings.requireEmbedder(sent, routed.route(), dispatcher.adapters());
            Dispatcher.Result result = dispatcher.dispatch(sent, routed, res, settle);
            status = result.status();
            usage = result.usage();
            return result;
        } finally {
            settle.finish(status, usage);
        }
    }

    /** A Responses or chat client's name for its conversation: a prompt cache lives on one upstream, so the conversation stays there. */
    private static Optional<String> promptCacheKey(Call call) {
        if (call.api() != dev.tollgate.providers.Api.RESPONSES && call.api() != dev.tollgate.providers.Api.CHAT_COMPLETIONS) {
            return Optional.empty();
        }
        try {
            return call.body().string("prompt_cache_key");
        } catch (dev.tollgate.providers.json.InvalidJsonException notAString) {
            return Optional.empty(); // only a hint for the cache: the upstream judges the field
        }
    }

    /** Every surface's name passes here before the gate: a name is data, never URL syntax (see {@link ModelName}). */
    private static void checkName(Call call) throws GatewayException {
        ModelName.parse(call.model(), call.api() == dev.tollgate.providers.Api.GEMINI ? "the request path" : "'model'");
    }

    private static void recordCaller(Call call, KeyChain chain) {
        call.trace().caller(chain.key().id(), chain.team().id(), chain.customer() == null ? null : chain.customer().id());
    }

    private static HeaderName headerName(String name) {
        HeaderName known = ROUTER_HEADERS.get(name);
        return known != null ? known : HeaderNames.create(name);
    }

    /**
     * Refuses a request whose key (from the headers) is missing, unknown, revoked or expired, before
     * its body is read: without a key nobody gets the gateway to buffer up to the body limit.
     * A policy without keys lets everyone through, as the gate does.
     */
    public void authenticateBeforeBody(PolicySnapshot policy, ServerRequest req) throws GatewayException {
        if (gate.identify(policy, PresentedKey.from(req)) instanceof Identity.Refused refused) {
            if (refused.chain() != null) {
                KeyChain chain = refused.chain();
                RequestTrace.of(req).caller(chain.key().id(), chain.team().id(), chain.customer() == null ? null : chain.customer().id());
            }
            throw new GatewayException(refused.error());
        }
    }

    /** For endpoints that spend nothing (token counting): the caller must still hold a valid key. */
    public Route authorizedRoute(Call call, ServerRequest req) throws GatewayException {
        checkName(call);
        if (gate.identify(call.policy(), PresentedKey.from(req)) instanceof Identity.Refused refused) {
            throw new GatewayException(refused.error());
        }
        return router.route(call.policy(), call.model());
    }

    public Gate gate() {
        return gate;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }
}
