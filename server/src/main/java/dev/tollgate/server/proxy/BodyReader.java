package dev.tollgate.server.proxy;

import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads a request body once, refusing it (before reading, when the length is declared) over the limit. */
public final class BodyReader {

    private BodyReader() {
    }

    public static byte[] read(ServerRequest req, long limit) throws GatewayException {
        if (req.headers().contentLength().orElse(0) > limit) {
            throw new GatewayException(new GatewayError.BodyTooLarge(limit));
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw new GatewayException(new GatewayError.BodyTooLarge(limit));
            }
            return bytes;
        } catch (IOException | UncheckedIOException e) {
            throw new GatewayException(new GatewayError.BadRequest("The request body could not be read: " + e.getMessage(), null));
        }
    }
}
