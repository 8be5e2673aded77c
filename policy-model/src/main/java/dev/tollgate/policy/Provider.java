package dev.tollgate.policy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An upstream provider: where it is, how to authenticate, and kind-specific settings
 * (for Azure, {@code api-version}).
 */
public record Provider(String id, ProviderKind kind, URI baseUrl, List<Credential> credentials,
                       Map<String, String> headers, Map<String, String> settings, Timeouts timeouts, Breaker breaker, Tls tls) {

    public Provider {
        credentials = List.copyOf(credentials);
        headers = Map.copyOf(headers);
        settings = Map.copyOf(settings);
    }

    public Provider(String id, ProviderKind kind, URI baseUrl, List<Credential> credentials,
                    Map<String, String> headers, Map<String, String> settings, Timeouts timeouts, Breaker breaker) {
        this(id, kind, baseUrl, credentials, headers, settings, timeouts, breaker, Tls.NONE);
    }

    public Provider(String id, ProviderKind kind, URI baseUrl, List<Credential> credentials,
                    Map<String, String> headers, Map<String, String> settings, Timeouts timeouts) {
        this(id, kind, baseUrl, credentials, headers, settings, timeouts, Breaker.DEFAULT);
    }

    /**
     * Per-provider timeouts: a slow model's first token may come long after a socket read timeout
     * would fire. {@code total} bounds one upstream call from its start to its last byte.
     */
    public record Timeouts(Duration connect, Duration firstByte, Duration idle, Duration total) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(300), Duration.ofSeconds(120));

        public Timeouts(Duration connect, Duration firstByte, Duration idle) {
            this(connect, firstByte, idle, Duration.ofHours(1));
        }
    }

    /**
     * When each of this provider's targets stops getting traffic: after {@code failures} failures, or
     * a share of at least {@code failureRatio} of at least {@code minCalls} calls, within
     * {@code window}; it stays open for {@code open}, then lets one probe through.
     */
    public record Breaker(int failures, double failureRatio, int minCalls, Duration window, Duration open) {
        public static final Breaker DEFAULT = new Breaker(5, 0.5, 10, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    /**
     * How connections to this provider are secured beyond the JDK's defaults: a PEM bundle of private
     * CAs trusted besides the JDK's (and the gateway-wide bundle), and a client certificate for mutual
     * TLS whose key is a reference ({@code file:} or {@code env:}), never in the policy itself.
     */
    public record Tls(Optional<Path> caBundle, Optional<Path> clientCert, Optional<SecretRef> clientKey) {
        public static final Tls NONE = new Tls(Optional.empty(), Optional.empty(), Optional.empty());
    }
}
