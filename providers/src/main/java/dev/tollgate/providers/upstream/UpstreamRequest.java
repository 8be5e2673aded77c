package dev.tollgate.providers.upstream;

import java.net.URI;
import java.util.Map;

/** One HTTP request to a provider, fully prepared: URL, headers (auth included) and body. */
public record UpstreamRequest(URI uri, Map<String, String> headers, byte[] body) {
}
