package dev.tollgate.providers.upstream;

import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** A provider's answer whose body has not been read yet. Close it to release (or drop) the connection. */
public final class UpstreamResponse implements AutoCloseable {

    private final HttpClientResponse response;

    UpstreamResponse(HttpClientResponse response) {
        this.response = response;
    }

    public int status() {
        return response.status().code();
    }

    public Optional<String> header(String name) {
        return response.headers().first(HeaderNames.create(name));
    }

    public boolean isEventStream() {
        return header("content-type").map(ct -> ct.startsWith("text/event-stream")).orElse(false);
    }

    public InputStream body() {
        return response.inputStream();
    }

    /** Reads the whole body, refusing more than {@code limit} bytes. */
    public byte[] readBody(int limit) throws IOException {
        try (InputStream in = body()) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new IOException("upstream response larger than " + limit + " bytes");
            }
            return bytes;
        }
    }

    @Override
    public void close() {
        response.close();
    }
}
