package dev.tollgate.providers.google;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.LowLevelHttpRequest;
import com.google.api.client.http.LowLevelHttpResponse;
import dev.tollgate.policy.Provider;
import dev.tollgate.providers.upstream.UpstreamClient;
import dev.tollgate.providers.upstream.UpstreamException;
import dev.tollgate.providers.upstream.UpstreamRequest;
import dev.tollgate.providers.upstream.UpstreamResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Google's auth library speaking through the gateway's own upstream client, so that the token
 * exchange takes the same road as the model calls: the egress proxy (CONNECT, proxy credentials),
 * the gateway-wide CA bundle and the provider's {@code tls.ca_bundle}, the provider's timeouts.
 * The provider's client certificate is not presented: it is for the provider, not for Google.
 */
final class UpstreamTransport extends HttpTransport {

    /** A token answer is a few hundred bytes; anything this large is not one. */
    private static final int MAX_BODY = 1 << 20;

    private final UpstreamClient client;
    private final Provider road;

    UpstreamTransport(UpstreamClient client, Provider provider) {
        this.client = client;
        this.road = new Provider(provider.id(), provider.kind(), provider.baseUrl(), List.of(), Map.of(), Map.of(), provider.timeouts(),
                provider.breaker(), new Provider.Tls(provider.tls().caBundle(), Optional.empty(), Optional.empty()));
    }

    @Override
    public boolean supportsMethod(String method) {
        return "POST".equals(method); // the token exchange; the upstream client sends nothing else
    }

    @Override
    protected LowLevelHttpRequest buildRequest(String method, String url) throws IOException {
        if (!supportsMethod(method)) {
            throw new IOException(method + " " + url + ": only the POST of a token exchange goes through the gateway's upstream client");
        }
        return new LowLevelHttpRequest() {
            private final Map<String, String> headers = new LinkedHashMap<>();

            @Override
            public void addHeader(String name, String value) {
                headers.put(name.toLowerCase(Locale.ROOT), value);
            }

            @Override
            public LowLevelHttpResponse execute() throws IOException {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                if (getStreamingContent() != null) {
                    getStreamingContent().writeTo(body);
                }
                if (getContentType() != null) {
                    headers.put("content-type", getContentType());
                }
                if (getContentEncoding() != null) {
                    headers.put("content-encoding", getContentEncoding());
                }
                try (UpstreamResponse r = client.send(new UpstreamRequest(URI.create(url), headers, body.toByteArray()), road)) {
                    return new Answer(r.status(), r.header("content-type").orElse(null), r.header("content-encoding").orElse(null),
                            r.readBody(MAX_BODY));
                } catch (UpstreamException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        };
    }

    /** A whole answer, read before the connection went back to the pool. */
    private static final class Answer extends LowLevelHttpResponse {
        private final int status;
        private final String type;
        private final String encoding;
        private final byte[] content;

        Answer(int status, String type, String encoding, byte[] content) {
            this.status = status;
            this.type = type;
            this.encoding = encoding;
            this.content = content;
        }

        @Override
        public InputStream getContent() {
            return new ByteArrayInputStream(content);
        }

        @Override
        public String getContentEncoding() {
            return encoding;
        }

        @Override
        public long getContentLength() {
            return content.length;
        }

        @Override
        public String getContentType() {
            return type;
        }

        @Override
        public String getStatusLine() {
            return "HTTP/1.1 " + status;
        }

        @Override
        public int getStatusCode() {
            return status;
        }

        @Override
        public String getReasonPhrase() {
            return null;
        }

        @Override
        public int getHeaderCount() {
            return 0;
        }

        @Override
        public String getHeaderName(int index) {
            throw new IndexOutOfBoundsException(index);
        }

        @Override
        public String getHeaderValue(int index) {
            throw new IndexOutOfBoundsException(index);
        }
    }
}
