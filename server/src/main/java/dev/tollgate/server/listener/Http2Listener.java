package dev.tollgate.server.listener;

import dev.tollgate.server.settings.ConnectionSettings.Http2Mode;
import io.helidon.http.Header;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.http2.Http2ConnectionSelector;

/**
 * HTTP/2 on the listener: h2 negotiated by ALPN on HTTPS, and h2c by prior knowledge (the connection
 * preface) on plain HTTP. An HTTP/1.1 {@code Upgrade: h2c} is not acted on: the request is answered in
 * HTTP/1.1. RFC 9113 deprecated that upgrade, Helidon's upgrader does not read a body sent with the
 * upgrading request (a POST would be lost), and the JDK's HttpClient asks for it on every plain-HTTP
 * request by default, so answering it would move those clients to a path no agent needs.
 *
 * <p>The selector is added by hand rather than through Helidon's service discovery, which would also
 * install that upgrader (and does so for every listener, the management one included, once the module
 * is on the class path): {@link #install} turns discovery off.
 *
 * <p>The HTTP/1.1 guards hold on HTTP/2 as well; where HTTP/1.1 has a hook of its own, {@link Connections}
 * does the same for streams: the head timeout until a connection's first request, the idle timeout while
 * it has no stream in flight, the body timeout per stream ({@link BodyWatch}), the header limit on the
 * decoded header section (431 in the dialect of the path), and the connection cap counting each stream
 * beyond a connection's first as a connection (each may hold an upstream connection).
 */
public final class Http2Listener {

    /**
     * Streams one connection may have in flight at once (Helidon's default is 8,192). RFC 9113 suggests no
     * fewer than 100; an agent runs a handful at a time.
     */
    static final int MAX_CONCURRENT_STREAMS = 100;
    /** Bytes of one DATA frame, the protocol's minimum (and Helidon's default). */
    static final int MAX_FRAME_SIZE = 16_384;
    /**
     * A stream's flow-control window: what a client may send before its handler reads. Helidon queues at
     * most 32 unread frames per stream and then stops reading the whole connection, so the window is
     * exactly 32 full frames: a client sending full frames never stalls the connection's other streams.
     */
    static final int INITIAL_WINDOW = 32 * MAX_FRAME_SIZE;

    private Http2Listener() {
    }

    /**
     * Turns off protocol discovery and adds the HTTP/2 selector when {@code mode} serves it on this listener.
     * Call before adding other connection selectors: the first that claims a connection's first bytes takes it.
     *
     * @param maxHeaderBytes the HTTP/1.1 listener's header limit, which HTTP/2 streams are held to as well
     */
    public static void install(WebServerConfig.Builder server, Http2Mode mode, boolean tls, int maxHeaderBytes) {
        server.protocolsDiscoverServices(false);
        if (mode.served(tls)) {
            server.addConnectionSelector(Http2ConnectionSelector.builder().http2Config(config(maxHeaderBytes)).build());
        }
    }

    static Http2Config config(int maxHeaderBytes) {
        return Http2Config.builder()
                .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                .maxFrameSize(MAX_FRAME_SIZE)
                .initialWindowSize(INITIAL_WINDOW)
                // Helidon counts the encoded header block against this and ends the whole connection (GOAWAY) above
                // it. Connections holds the decoded section (which HPACK's references can make far larger than the
                // bytes on the wire) to the HTTP/1.1 limit with a 431 in the client's dialect; twice the limit here
                // lets every section of visible characters up to that size reach it (Huffman codes for visible
                // ASCII are at most 15 bits).
                .maxHeaderListSize(2L * maxHeaderBytes)
                // As on HTTP/1.1: response header values come from this code or from upstream heads checked there.
                .validateResponseHeaders(false)
                .build();
    }

    /** Whether the request came on an HTTP/2 stream. */
    static boolean isHttp2(ServerRequest req) {
        return "2.0".equals(req.prologue().protocolVersion());
    }

    /**
     * The request's header section as HTTP/2 counts it (RFC 9113 section 6.5.2): each field's name and
     * value plus 32 bytes, pseudo-header fields included.
     */
    static long fieldSectionSize(ServerRequest req) {
        // :method, :scheme, :authority and :path; the authority counted at the most a host name takes
        long size = 4 * 32L + req.prologue().method().text().length() + "https".length() + 255
                + req.prologue().uriPath().rawPath().length() + req.query().rawValue().length();
        for (Header h : req.headers()) {
            for (String v : h.allValues()) {
                size += h.name().length() + v.length() + 32L;
            }
        }
        return size;
    }
}
