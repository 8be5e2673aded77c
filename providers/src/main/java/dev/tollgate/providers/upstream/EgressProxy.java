package dev.tollgate.providers.upstream;

import dev.tollgate.policy.SecretRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The corporate forward proxy connections to providers go through: a {@code CONNECT} tunnel per
 * connection (for https and, tunnelled too, plain-http upstreams), with Basic proxy authentication
 * whose password is a reference read at connect time (a rotated file is picked up), never a literal.
 *
 * @param https      proxy for https upstreams, if any
 * @param http       proxy for plain-http upstreams, if any
 * @param noProxy    hosts reached directly: a name and its subdomains, {@code .name} for subdomains only,
 *                   IP literals, CIDR ranges ({@code 10.0.0.0/8}), each optionally with {@code :port}, or {@code *} for all
 * @param user       proxy user, if the proxy asks for credentials
 * @param password   reference to the proxy password ({@code env:NAME} or {@code file:PATH})
 * @param loopback   whether loopback upstreams (localhost, 127.0.0.0/8, ::1) go through the proxy too
 */
public record EgressProxy(Optional<Endpoint> https, Optional<Endpoint> http, List<String> noProxy,
                          Optional<String> user, Optional<SecretRef> password, boolean loopback) {

    public static final EgressProxy NONE = new EgressProxy(Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty(), false);

    /** Where a proxy listens. */
    public record Endpoint(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public EgressProxy {
        noProxy = noProxy.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).toList();
        if (user.isPresent() != password.isPresent()) {
            throw new IllegalArgumentException("proxy authentication needs both a user and a password reference (tollgate.proxy.user, tollgate.proxy.password)");
        }
    }

    /**
     * A proxy URL as in {@code HTTPS_PROXY}: {@code http://host:port} or {@code host:port}, a user
     * allowed ({@code http://user@host:port}), a password refused: it belongs in a file or variable
     * named by {@code tollgate.proxy.password}, not in a URL that ends up in process listings and logs.
     *
     * @return the endpoint and the user, if the URL names one
     */
    public static Parsed parse(String url, String setting) {
        String text = url.trim();
        URI uri;
        try {
            uri = URI.create(text.contains("://") ? text : "http://" + text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + " is not a proxy URL like http://proxy.corp:3128");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException(setting + " must be an http:// proxy URL like http://proxy.corp:3128 (the gateway speaks plain HTTP to the proxy and tunnels TLS through it)");
        }
        Optional<String> user = Optional.empty();
        if (uri.getRawUserInfo() != null) {
            String info = uri.getUserInfo();
            if (info.contains(":")) {
                throw new IllegalArgumentException(setting + " holds a password; put the password in a file or variable and set "
                        + "TOLLGATE_PROXY_PASSWORD=file:/path or env:NAME (and the user in the URL or TOLLGATE_PROXY_USER)");
            }
            user = Optional.of(info);
        }
        return new Parsed(new Endpoint(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 80), user);
    }

    /** A parsed proxy URL. */
    public record Parsed(Endpoint endpoint, Optional<String> user) {
    }

    /** The proxy to reach an origin through, if any. */
    Optional<Endpoint> route(Origin origin) {
        Optional<Endpoint> proxy = origin.tls() ? https : http;
        if (proxy.isEmpty()) {
            return proxy;
        }
        String host = origin.host().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        Optional<byte[]> address = ipLiteral(host);
        if (!loopback && isLoopback(host, address)) {
            return Optional.empty();
        }
        for (String entry : noProxy) {
            if (entry.equals("*") || matches(entry, host, address, origin.port())) {
                return Optional.empty();
            }
        }
        return proxy;
    }

    /** One NO_PROXY entry as curl and Go read it: a name (and its subdomains), {@code .name}, an address, a CIDR range, each with an optional port. */
    private static boolean matches(String entry, String host, Optional<byte[]> address, int port) {
        String e = entry;
        int colon = e.lastIndexOf(':');
        // A port after a name or an IPv4 address; an IPv6 entry has one only in brackets ("[::1]:8443").
        if (colon > 0 && e.indexOf(':') == colon || e.startsWith("[") && colon > e.indexOf(']')) {
            if (!e.substring(colon + 1).equals(Integer.toString(port))) {
                return false;
            }
            e = e.substring(0, colon);
        }
        if (e.startsWith("[") && e.endsWith("]")) {
            e = e.substring(1, e.length() - 1);
        }
        int slash = e.indexOf('/');
        if (slash > 0) {
            Optional<byte[]> network = ipLiteral(e.substring(0, slash));
            return network.isPresent() && address.isPresent() && inRange(address.get(), network.get(), e.substring(slash + 1));
        }
        Optional<byte[]> literal = ipLiteral(e);
        if (literal.isPresent() || address.isPresent()) {
            return literal.isPresent() && address.isPresent() && java.util.Arrays.equals(literal.get(), address.get());
        }
        if (host.equals(e)) {
            return true;
        }
        String suffix = e.startsWith("*.") ? e.substring(1) : e.startsWith(".") ? e : "." + e;
        return host.endsWith(suffix);
    }

    private static boolean inRange(byte[] address, byte[] network, String prefixText) {
        int prefix;
        try {
            prefix = Integer.parseInt(prefixText);
        } catch (NumberFormatException e) {
            return false;
        }
        if (address.length != network.length || prefix < 0 || prefix > address.length * 8) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The address an IP literal spells, never by a DNS look-up; empty for a name. */
    private static Optional<byte[]> ipLiteral(String host) {
        if (host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            String[] parts = host.split("\\.");
            byte[] a = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(parts[i]);
                if (octet > 255) {
                    return Optional.empty();
                }
                a[i] = (byte) octet;
            }
            return Optional.of(a);
        }
        if (!host.contains(":") || !host.matches("[0-9a-f:.]+")) {
            return Optional.empty();
        }
        try {
            // With a colon the JDK parses an IPv6 literal and never asks DNS.
            return Optional.of(java.net.InetAddress.getByName(host).getAddress());
        } catch (java.net.UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static boolean isLoopback(String host, Optional<byte[]> address) {
        return host.equals("localhost") || host.endsWith(".localhost")
                || address.map(a -> a.length == 4 ? a[0] == 127 : java.util.Arrays.equals(a, LOOPBACK_V6)).orElse(false);
    }

    private static final byte[] LOOPBACK_V6 = new byte[16];

    static {
        LOOPBACK_V6[15] = 1;
    }

    /**
     * Opens a tunnel to the origin through the proxy: the socket, once returned, carries the origin's bytes.
     *
     * @throws ProxyRefused when the proxy answers anything but 2xx
     */
    Socket tunnel(Endpoint proxy, Origin origin, Duration connectTimeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            try {
                socket.connect(new InetSocketAddress(proxy.host(), proxy.port()), (int) connectTimeout.toMillis());
            } catch (java.net.ConnectException e) {
                throw new java.net.ConnectException("cannot connect to the proxy " + proxy + " (" + e.getMessage() + ")");
            }
            socket.setSoTimeout((int) connectTimeout.toMillis());
            String authority = (origin.host().contains(":") ? "[" + origin.host() + "]" : origin.host()) + ":" + origin.port();
            StringBuilder request = new StringBuilder("CONNECT ").append(authority).append(" HTTP/1.1\r\nHost: ").append(authority).append("\r\n");
            if (user.isPresent()) {
                String secret = Secrets.resolve(password.get()).orElseThrow(() -> new ProxyRefused("the proxy password "
                        + password.get() + " is empty or cannot be read", proxy, origin));
                String token = Base64.getEncoder().encodeToString((user.get() + ":" + secret).getBytes(StandardCharsets.UTF_8));
                request.append("Proxy-Authorization: Basic ").append(token).append("\r\n");
            }
            request.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            int status = readStatus(socket.getInputStream());
            if (status / 100 != 2) {
                throw new ProxyRefused(switch (status) {
                    // 407 by the book; tinyproxy answers 401
                    case 401, 407 -> user.isPresent() ? "the proxy " + proxy + " rejected the proxy credentials of user '" + user.get()
                            + "' (HTTP " + status + "); check tollgate.proxy.user and the password " + password.get()
                            : "the proxy " + proxy + " asks for credentials (HTTP " + status + "); set tollgate.proxy.user and tollgate.proxy.password";
                    case 403 -> "the proxy " + proxy + " refused to tunnel to " + authority + " (HTTP 403); ask for the host and port to be allowed";
                    default -> "the proxy " + proxy + " refused to tunnel to " + authority + " (HTTP " + status + ")";
                }, proxy, origin);
            }
            socket.setSoTimeout(0);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Reads the proxy's answer head up to its blank line and returns its status. The body of a refusal
     * is not read: the socket is closed anyway. Bytes after the head belong to the tunnel; a proxy sends
     * none before the client speaks.
     */
    private static int readStatus(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("the proxy closed the connection before answering CONNECT");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1
                    : b == '\r' ? 1 : 0;
            if (head.size() > 16 * 1024) {
                throw new IOException("the proxy's answer to CONNECT has a head over 16 KiB");
            }
        }
        String line = head.toString(StandardCharsets.ISO_8859_1);
        String[] parts = line.substring(0, line.indexOf('\r')).split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("the proxy answered CONNECT with something that is not HTTP");
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("the proxy answered CONNECT with an unreadable status");
        }
    }

    /** The proxy would not open the tunnel; the message says why and what to set. */
    static final class ProxyRefused extends IOException {
        ProxyRefused(String message, Endpoint proxy, Origin origin) {
            super(message);
        }
    }

    /** For the start-up line: where connections go, never the password. */
    public String describe() {
        if (https.isEmpty() && http.isEmpty()) {
            return "directly";
        }
        return "https via " + https.map(Endpoint::toString).orElse("direct") + ", http via " + http.map(Endpoint::toString).orElse("direct")
                + user.map(u -> " as '" + u + "'").orElse("") + (noProxy.isEmpty() ? "" : ", not for " + String.join(",", noProxy))
                + (loopback ? ", loopback included" : "");
    }
}
