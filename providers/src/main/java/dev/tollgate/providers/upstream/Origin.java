package dev.tollgate.providers.upstream;

import dev.tollgate.policy.Provider;
import java.net.URI;

/**
 * Where connections go: scheme, host and port, and the provider's TLS set-up (its CAs and client
 * certificate); pooled connections are shared per origin.
 */
record Origin(boolean tls, String host, int port, Provider.Tls security) {

    static Origin of(URI uri) {
        return of(uri, Provider.Tls.NONE);
    }

    static Origin of(URI uri, Provider.Tls security) {
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        return new Origin(tls, uri.getHost(), port, tls ? security : Provider.Tls.NONE);
    }

    /** The Host header: the port only when it is not the scheme's default. */
    String hostHeader() {
        return (tls && port == 443) || (!tls && port == 80) ? host : host + ":" + port;
    }
}
