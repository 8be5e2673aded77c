package dev.tollgate.policy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An upstream provider: where it is, how to authenticate, and kind-specific settings
 * (for Azure, {@code api-version}).
 */
public record Provider(String id, ProviderKind kind, URI baseUrl, List<Credential> credentials,
                       Map<String, String> headers, Map<String, String> settings, Timeouts timeouts) {

    public Provider {
        credentials = List.copyOf(credentials);
        headers = Map.copyOf(headers);
        settings = Map.copyOf(settings);
    }

    /** Per-provider timeouts: a slow model's first token may come long after a socket read timeout would fire. */
    public record Timeouts(Duration connect, Duration firstByte, Duration idle) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(300), Duration.ofSeconds(120));
    }
}
