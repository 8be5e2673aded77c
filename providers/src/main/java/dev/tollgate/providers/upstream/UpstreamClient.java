package dev.tollgate.providers.upstream;

import dev.tollgate.policy.Provider;
import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends requests to providers over pooled keep-alive connections, one blocking call per virtual
 * thread. TCP_NODELAY is on: with Nagle, every relayed SSE event would wait ~40 ms for an ACK.
 */
public final class UpstreamClient {

    /** One client per connect timeout; they share the process-wide connection cache. */
    private final Map<Duration, WebClient> clients = new ConcurrentHashMap<>();

    public UpstreamResponse send(UpstreamRequest request, Provider.Timeouts timeouts) throws UpstreamException {
        WebClient client = clients.computeIfAbsent(timeouts.connect(), UpstreamClient::newClient);
        try {
            HttpClientResponse response = client.post()
                    .uri(request.uri())
                    .readTimeout(timeouts.firstByte())
                    .headers(h -> request.headers().forEach((name, value) -> h.set(HeaderNames.create(name), value)))
                    .submit(request.body());
            return new UpstreamResponse(response);
        } catch (UncheckedIOException e) {
            throw classify(request, e.getCause());
        } catch (RuntimeException e) {
            throw classify(request, e);
        }
    }

    private static UpstreamException classify(UpstreamRequest request, Throwable e) {
        String where = request.uri().getScheme() + "://" + request.uri().getAuthority();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to " + where + ": " + t.getMessage(), e);
            }
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException) {
                return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from " + where + " in time", e);
            }
        }
        return new UpstreamException(UpstreamException.Kind.RESET, "connection to " + where + " failed: " + e.getMessage(), e);
    }

    private static WebClient newClient(Duration connectTimeout) {
        return WebClient.builder()
                .socketOptions(SocketOptions.builder()
                        .tcpNoDelay(true)
                        .connectTimeout(connectTimeout)
                        .build())
                .followRedirects(false)
                .shareConnectionCache(true)
                .connectionCacheSize(1024)
                .build();
    }
}
