package dev.tollgate.server.proxy;

import dev.tollgate.server.errors.ClientFault;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;

/** Reads a request body once, refusing it (before reading, when the length is declared) over the limit. */
public final class BodyReader {

    private BodyReader() {
    }

    public static byte[] read(ServerRequest req, long limit) throws GatewayException {
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > limit) {
            throw new GatewayException(new GatewayError.BodyTooLarge(limit));
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared >= 0) {
                // The usual case: read into an array of exactly the declared size.
                byte[] bytes = new byte[(int) declared];
                if (in.readNBytes(bytes, 0, bytes.length) < bytes.length) {
                    throw new GatewayException(new GatewayError.BadRequest("The request body ended before its declared Content-Length.", null));
                }
                return bytes;
            }
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw new GatewayException(new GatewayError.BodyTooLarge(limit));
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            // Bad chunk framing, a body shorter than its Content-Length, a broken connection: the client's,
            // said in words (Helidon's messages may quote the body, so they are never passed on).
            throw new GatewayException(ClientFault.of(e).orElseGet(() -> new GatewayError.BadRequest(
                    "The request body could not be read (the connection broke or its framing is invalid): send it again whole.", null)));
        }
    }
}
