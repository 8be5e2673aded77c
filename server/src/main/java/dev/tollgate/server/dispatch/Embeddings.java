package dev.tollgate.server.dispatch;

import dev.tollgate.policy.Route;
import dev.tollgate.providers.Adapters;
import dev.tollgate.providers.Api;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;

/**
 * Embeddings are never translated: a model none of whose targets speaks an embeddings API cannot serve
 * one. That is the client's choice of model, a 400 naming it (not a 503 an SDK would retry).
 */
public final class Embeddings {

    private Embeddings() {
    }

    public static void requireEmbedder(Call call, Route route, Adapters adapters) throws GatewayException {
        if (call.api() != Api.EMBEDDINGS) {
            return;
        }
        for (Route.Target t : route.targets()) {
            if (adapters.of(t.provider().kind()).upstreamApi(t.provider(), t.model(), Api.EMBEDDINGS).isPresent()) {
                return;
            }
        }
        Route.Target first = route.targets().getFirst();
        throw new GatewayException(new GatewayError.BadRequest("The model '" + call.model() + "' cannot make embeddings: its provider '"
                + first.provider().id() + "' (" + first.provider().kind().id() + ") has no embeddings API. "
                + "Use an embedding model of an OpenAI-compatible provider (GET /v1/models lists the models you can use).", "model"));
    }
}
