package dev.tollgate.server.dispatch;

import dev.tollgate.providers.ir.ChatRequest;
import dev.tollgate.providers.json.InvalidJsonException;
import dev.tollgate.providers.translate.Wires;
import dev.tollgate.server.call.Call;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;

/** The client's request in IR terms, decoded only when a target needs another format. */
final class ClientRequest {
    private final Call call;
    private ChatRequest decoded;

    ClientRequest(Call call) {
        this.call = call;
    }

    ChatRequest get() throws GatewayException {
        if (decoded == null) {
            try {
                // The client's model name is what its answer echoes (Gemini has it only in the path).
                decoded = Wires.codec(call.api()).decodeRequest(call.body()).withModel(call.model());
            } catch (InvalidJsonException e) {
                throw new GatewayException(new GatewayError.BadRequest(e.getMessage(), e.param()));
            }
        }
        return decoded;
    }
}
