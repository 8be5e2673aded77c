package dev.tollgate.providers.upstream;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One HTTP request to a provider, fully prepared: URL, headers (auth included) and body. */
public record UpstreamRequest(URI uri, Map<String, String> headers, byte[] body) {

    private static final int MAX_CACHED = 4096;
    private static final Map<String, URI> PARSED = new ConcurrentHashMap<>();

    /**
     * The URI of an upstream URL, parsed once: a provider's endpoints repeat on every request, and
     * parsing them was ~5% of the gateway's CPU at full load. Bounded, since a client's model name
     * can be part of a URL; when full the cache starts over.
     */
    public static URI uri(String url) {
        URI uri = PARSED.get(url);
        if (uri == null) {
            uri = URI.create(url);
            if (PARSED.size() >= MAX_CACHED) {
                PARSED.clear();
            }
            PARSED.put(url, uri);
        }
        return uri;
    }
}
