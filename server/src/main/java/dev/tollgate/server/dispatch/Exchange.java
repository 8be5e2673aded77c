package dev.tollgate.server.dispatch;

import dev.tollgate.policy.Provider;
import dev.tollgate.policy.Route;
import dev.tollgate.providers.Adapter;
import dev.tollgate.providers.AdapterException;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Api;
import dev.tollgate.providers.Outbound;
import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.json.JsonBody;
import dev.tollgate.providers.translate.ClientFields;
import dev.tollgate.providers.translate.CrossProvider;
import dev.tollgate.providers.translate.Wires;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.settle.Settle;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Optional;

/**
 * One attempt at one target, of one of two shapes: {@link Passthrough} (the client's format) or
 * {@link Translated} (another format, through the IR). The provider's adapter builds its request; the
 * attempt loop sends it, and asks the exchange to judge and relay the answer.
 */
sealed interface Exchange permits Passthrough, Translated {

    UpstreamRequest request();

    /** Reads as much of a 2xx as decides whether it is usable, while nothing has reached the client. */
    Answer judge(UpstreamResponse response) throws Answer.Unusable;

    /** Relays the answer (or the provider's error answer) to the client, settling before its last bytes. */
    Dispatcher.Result relay(UpstreamResponse response, Answer answer, ServerResponse res, Settle settle);

    /** Same format: the client's bytes go up as they came. Otherwise the request is translated through the IR. */
    static Exchange prepare(Call call, ClientRequest client, Route.Target target, String credential, Optional<String> secret,
                            Adapters adapters) throws GatewayException {
        Provider provider = target.provider();
        Adapter adapter = adapters.of(provider.kind());
        Api upstreamApi = adapter.upstreamApi(provider, target.model(), call.api()).orElseThrow(() -> new GatewayException(new GatewayError.ProviderNotReady(
                "Provider '" + provider.id() + "' (" + provider.kind().id() + ") cannot serve " + call.api().path() + " calls on this gateway yet.")));
        boolean passthrough = upstreamApi == call.api();
        JsonBody body = call.body();
        Map<String, Integer> dropped = Map.of();
        if (!passthrough) {
            try {
                ClientFields.Verdict fields = ClientFields.check(call.api(), call.body(), upstreamApi, provider.id());
                if (fields instanceof ClientFields.Verdict.Refuse refuse) {
                    throw new GatewayException(new GatewayError.BadRequest(refuse.message(), refuse.param()));
                }
                ClientFields.Verdict.Carry carry = (ClientFields.Verdict.Carry) fields;
                CrossProvider.Carried carried = CrossProvider.forUpstream(client.get(), upstreamApi);
                ChatRequest translated = adapter.adapt(provider, carried.request().withModel(target.model()));
                byte[] encoded = Wires.codec(upstreamApi).encodeRequest(translated);
                body = JsonBody.parse(carry.webSearch() ? ClientFields.withWebSearch(encoded, upstreamApi) : encoded);
                dropped = carried.dropped().plus(carry.dropped()).counts();
            } catch (InvalidJsonException e) {
                throw new IllegalStateException("an encoder wrote invalid JSON", e);
            }
        }
        // Client headers belong to the client's format; the upstream of another format gets none of them.
        // Translated calls always stream upstream.
        Outbound out = new Outbound(provider, credential, secret, target.model(), upstreamApi, !passthrough || call.stream(), body,
                passthrough, passthrough ? call.passHeaders() : Map.of());
        call.trace().dropped(dropped);
        try {
            UpstreamRequest request = adapter.request(out);
            noteDroppedBetas(call, provider, request);
            return passthrough ? new Passthrough(call, target, request) : new Translated(call, client.get(), target, request, upstreamApi, adapter);
        } catch (AdapterException e) {
            throw new GatewayException(notMade(e));
        }
    }

    /**
     * Beta values the client asked for that this backend's request leaves out (it refuses them, or, in
     * another format, carries none): the request log says which, so nothing is left out silently.
     */
    private static void noteDroppedBetas(Call call, Provider provider, UpstreamRequest request) {
        String asked = call.passHeaders().get("anthropic-beta");
        if (asked == null || asked.isBlank()) {
            return;
        }
        java.util.Set<String> sent = new java.util.HashSet<>();
        String header = request.headers().get("anthropic-beta");
        if (header != null) {
            for (String v : header.split(",")) {
                sent.add(v.strip());
            }
        }
        java.util.List<String> dropped = java.util.Arrays.stream(asked.split(",")).map(String::strip)
                .filter(v -> !v.isEmpty() && !sent.contains(v)).distinct().toList();
        if (!dropped.isEmpty()) {
            call.trace().note("anthropic-beta values not sent to provider '" + provider.id() + "' (" + provider.kind().id()
                    + " does not take them): " + String.join(", ", dropped) + ".");
        }
    }

    static GatewayError notMade(AdapterException e) {
        return switch (e.kind()) {
            case NOT_READY -> new GatewayError.ProviderNotReady(e.getMessage());
            case FAILED -> new GatewayError.UpstreamFailed(e.getMessage());
        };
    }
}
