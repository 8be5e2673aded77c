package dev.tollgate.server.surface;

import dev.tollgate.server.errors.ClientFault;
import dev.tollgate.server.errors.GatewayError;
import dev.tollgate.server.errors.GatewayException;
import dev.tollgate.server.listener.BodyWatch;
import io.helidon.webserver.http.ServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body once, refusing it over the limit (before reading, when the length is
 * declared) and when the bodies held in memory by all requests would exceed their {@link BodyBudget}.
 */
public final class BodyReader {

    /** A body without a declared length is read, and charged to the budget, a step at a time. */
    private static final int STEP = 1 << 20;

    private BodyReader() {
    }

    public static byte[] read(ServerRequest req, long limit) throws GatewayException {
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > limit) {
            throw new GatewayException(new GatewayError.BodyTooLarge(limit));
        }
        BodyBudget.Lease lease = BodyBudget.lease(req);
        if (declared >= 0 && lease != null && !lease.take(declared)) {
            throw new GatewayException(overloaded(lease));
        }
        // On HTTP/2 the listener watches the read (Helidon's stream has no read timeout of its own).
        try (InputStream in = BodyWatch.watch(req, req.content().inputStream())) {
            if (declared >= 0) {
                // The usual case: read into an array of exactly the declared size.
                byte[] bytes = new byte[(int) declared];
                if (in.readNBytes(bytes, 0, bytes.length) < bytes.length) {
                    throw new GatewayException(new GatewayError.BadRequest("The request body ended before its declared Content-Length.", null));
                }
                return bytes;
            }
            return readChunked(in, limit, lease);
        } catch (BodyWatch.Expired e) {
            throw new GatewayException(e.error());
        } catch (IOException | RuntimeException e) {
            // Bad chunk framing, a body shorter than its Content-Length, a broken connection: the client's,
            // said in words (Helidon's messages may quote the body, so they are never passed on).
            throw new GatewayException(ClientFault.of(e).orElseGet(() -> new GatewayError.BadRequest(
                    "The request body could not be read (the connection broke or its framing is invalid): send it again whole.", null)));
        }
    }

    private static byte[] readChunked(InputStream in, long limit, BodyBudget.Lease lease) throws IOException, GatewayException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long max = Math.min(Integer.MAX_VALUE - 8, limit + 1);
        while (out.size() < max) {
            int step = (int) Math.min(STEP, max - out.size());
            // Charged before reading; what the step did not fill is given back.
            if (lease != null && !lease.take(step)) {
                throw new GatewayException(overloaded(lease));
            }
            byte[] part = in.readNBytes(step);
            if (lease != null) {
                lease.giveBack(step - part.length);
            }
            out.write(part);
            if (part.length < step) {
                break;
            }
        }
        if (out.size() > limit) {
            throw new GatewayException(new GatewayError.BodyTooLarge(limit));
        }
        return out.toByteArray();
    }

    private static GatewayError overloaded(BodyBudget.Lease lease) {
        return new GatewayError.Overloaded("The gateway holds as many request bodies in memory as it may at once ("
                + lease.capacity() + " bytes, tollgate.body.buffered); the request was not read. Retry in a moment.");
    }
}
